/**
 * Targets and results as the parts take them, with the configuration's defaults, overridden per test: a whole
 * `Target` (engine, metrics), a prober's `ProbeTarget` (probe tests, minus YAML), a probe result
 * and a committed transition.
 */
import type { DegradedRules, Expectations, Target, TlsSettings } from "../../src/config/types.js";
import type { CommittedTransition } from "../../src/engine/engine.js";
import type { TargetState } from "../../src/health/types.js";
import type { HttpProbeSpec } from "../../src/probe/http.js";
import type { TcpProbeSpec } from "../../src/probe/tcp.js";
import type { ProbeResult, ProbeTarget } from "../../src/probe/types.js";

export interface TargetOverrides<Spec> {
  timeout?: number;
  probe?: Partial<Spec>;
  expect?: Partial<Expectations>;
  degraded?: Partial<DegradedRules>;
}

export const DEFAULT_EXPECT: Expectations = {
  status: [{ min: 200, max: 299 }],
  bodyContains: null,
  bodyRegex: null,
  json: null,
};

export const NO_DEGRADED_RULES: DegradedRules = {
  latencyOver: null,
  bodyContains: null,
  json: null,
  certExpiresWithin: null,
};

/** TLS settings as resolved from no `tls` block: no files, the host's name, verification on. */
export const NO_TLS_FILES: TlsSettings = {
  caFile: null,
  certFile: null,
  keyFile: null,
  serverName: null,
  insecureSkipVerify: false,
};

/** An HTTP prober's target: GET `url`, 2 s timeout, 2xx expected. */
export function httpTarget(
  url: string,
  overrides: TargetOverrides<HttpProbeSpec> = {},
): ProbeTarget<HttpProbeSpec> {
  return {
    timeout: overrides.timeout ?? 2000,
    probe: {
      kind: "http",
      url,
      method: "GET",
      headers: {},
      body: null,
      followRedirects: true,
      maxRedirects: 10,
      maxBody: 1024 * 1024,
      tls: NO_TLS_FILES,
      ipFamily: "any",
      sourceIpAddress: null,
      version: "1.1",
      ...overrides.probe,
    },
    expect: { ...DEFAULT_EXPECT, ...overrides.expect },
    degraded: { ...NO_DEGRADED_RULES, ...overrides.degraded },
  };
}

/** A TCP prober's target: connect to `host:port`, 2 s timeout, no TLS. */
export function tcpTarget(
  host: string,
  port: number,
  overrides: TargetOverrides<TcpProbeSpec> = {},
): ProbeTarget<TcpProbeSpec> {
  return {
    timeout: overrides.timeout ?? 2000,
    probe: {
      kind: "tcp",
      host,
      port,
      tls: false,
      tlsSettings: NO_TLS_FILES,
      ipFamily: "any",
      sourceIpAddress: null,
      ...overrides.probe,
    },
    expect: { ...DEFAULT_EXPECT, ...overrides.expect },
    degraded: { ...NO_DEGRADED_RULES, ...overrides.degraded },
  };
}

/** A resolved HTTP target with the configuration's defaults, for tests that do not go through YAML. */
export function makeTarget(id: string, overrides: Partial<Target> = {}): Target {
  return {
    id,
    name: id,
    service: "svc",
    site: "site",
    interval: 10_000,
    schedule: null,
    failureThreshold: 3,
    successThreshold: 2,
    degradedThreshold: 3,
    dependsOn: [],
    ...httpTarget(`http://127.0.0.1:1/${id}`, { timeout: 5_000 }),
    resolver: null,
    ...overrides,
  };
}

/** A resolved push target: pushes every `expectEvery` (1 min) with `grace` (30 s), thresholds 1. */
export function makePushTarget(
  id: string,
  push: { expectEvery?: number; grace?: number; token?: string } = {},
  overrides: Partial<Target> = {},
): Target {
  return makeTarget(id, {
    failureThreshold: 1,
    successThreshold: 1,
    probe: {
      kind: "push",
      token: push.token ?? `token-of-${id}-0123456789`,
      expectEvery: push.expectEvery ?? 60_000,
      grace: push.grace ?? 30_000,
    },
    ...overrides,
  });
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
    figures: null,
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
