import type { Target } from "../../src/config/types.js";
import type { CommittedTransition } from "../../src/engine/engine.js";
import type { TargetState } from "../../src/health/types.js";
import type { ProbeResult } from "../../src/probe/types.js";

/** A resolved HTTP target with SPEC defaults, for tests that do not go through YAML. */
export function makeTarget(id: string, overrides: Partial<Target> = {}): Target {
  return {
    id,
    name: id,
    service: "svc",
    site: "site",
    interval: 10_000,
    schedule: null,
    timeout: 5_000,
    failureThreshold: 3,
    successThreshold: 2,
    degradedThreshold: 3,
    dependsOn: [],
    probe: {
      kind: "http",
      url: `http://127.0.0.1:1/${id}`,
      method: "GET",
      headers: {},
      body: null,
      followRedirects: true,
      maxRedirects: 10,
      maxBody: 1024 * 1024,
      tls: { caFile: null, serverName: null, insecureSkipVerify: false },
      ipFamily: "any",
    },
    expect: { status: [{ min: 200, max: 299 }], bodyContains: null, bodyRegex: null, json: null },
    degraded: { latencyOver: null, bodyContains: null, json: null, certExpiresWithin: null },
    ...overrides,
  };
}

/** A probe result as a prober would return it. */
export function makeResult(
  result: ProbeResult["result"],
  startedAt: number,
  overrides: Partial<ProbeResult> = {},
): ProbeResult {
  return {
    result,
    reason: result === "failed" ? "status" : result === "degraded" ? "latency" : null,
    detail: result === "failed" ? "status 503 not in 200-299" : "",
    startedAt,
    durationMs: 12,
    status: result === "failed" ? 503 : 200,
    phases: { resolve: 0, connect: 1, tls: 0, processing: 10, transfer: 1 },
    certExpiresAt: null,
    bytesRead: 2,
    redirects: 0,
    ...overrides,
  };
}

/** A committed transition of `target` as the engine publishes it (detected 20 s after `at`). */
export function makeCommitted(
  target: Target,
  from: TargetState,
  to: TargetState,
  at: number,
  overrides: Partial<CommittedTransition> = {},
): CommittedTransition {
  return {
    id: 1,
    runId: 1,
    instance: "test",
    targetId: target.id,
    service: target.service,
    site: target.site,
    from,
    to,
    at,
    detectedAt: at + 20_000,
    reason: to === "down" ? "status" : null,
    detail: null,
    blockedBy: null,
    maintenance: false,
    previousProbeAt: null,
    outageStart: null,
    waitingOn: [],
    ...overrides,
  };
}
