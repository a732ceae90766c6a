/**
 * The push (heartbeat) kind: for what the monitor cannot reach — a batch job, an autogate behind
 * NAT — which reports in with `POST /api/v1/push/<id>` and its own token. Its "probe" is the
 * arrival of a push; a missed deadline is a failed observation (docs/states-and-outages.md#push-targets).
 * Nothing here is scheduled: the engine's push watch feeds these results to the state machine.
 */
import * as z from "zod";
import { DEFAULTS } from "../fields/defaults.js";
import { type ConfigPath, isRecord, type PathIssue, pathIssue } from "../fields/path-issue.js";
import { formatDuration, parseDuration } from "../fields/units.js";
import { duration, secretToken } from "../fields/values.js";
import type { ProberKind } from "./kind.js";
import type { ProbeOptions, ProbeResult, ProbeTarget } from "./types.js";

export interface PushProbeSpec {
  kind: "push";
  /** Compared in constant time; never logged, shown or stored. */
  token: string;
  /** How often the target pushes, ms. */
  expectEvery: number;
  /** How late a push may be, ms. */
  grace: number;
}

export type PushStatus = "ok" | "fail";

const block = z.strictObject({
  token: secretToken().meta({
    description:
      "the target's own token, sent as Authorization: Bearer; 16 to 256 printable ASCII characters",
  }),
  expect_every: duration({ timer: true }).meta({ description: "how often the target pushes" }),
  grace: duration({ timer: true })
    .optional()
    .meta({ description: "how late a push may be", default: DEFAULTS.pushGrace }),
});

const DEFAULT_GRACE = parseDuration(DEFAULTS.pushGrace) ?? 0;

function resolve(push: z.output<typeof block>): PushProbeSpec {
  return {
    kind: "push",
    token: push.token,
    expectEvery: push.expect_every,
    grace: push.grace ?? DEFAULT_GRACE,
  };
}

/**
 * Keys that say how a target is probed or judged: a push target is neither (the body rules of
 * `expect` and `degraded` are refused for every kind that reads no body, by config/).
 */
const NOT_FOR_PUSH: readonly ConfigPath[] = [
  ["interval"],
  ["schedule"],
  ["timeout"],
  ["degraded", "latency_over"],
  ["degraded", "cert_expires_within"],
];

function check(target: Readonly<Record<string, unknown>>, path: ConfigPath): PathIssue[] {
  const issues = NOT_FOR_PUSH.filter((keys) => valueAt(target, keys) !== undefined).map((keys) =>
    pathIssue(
      "CONFIG_PROBER",
      [...path, ...keys],
      "does not apply to a push target: it is not probed, it pushes (see push.expect_every and push.grace)",
      "key",
    ),
  );
  const push = isRecord(target.push) ? target.push : {};
  const every = typeof push.expect_every === "string" ? parseDuration(push.expect_every) : null;
  if (every !== null && every > 0 && every < MIN_EXPECT_EVERY) {
    const message = `must be at least ${formatDuration(MIN_EXPECT_EVERY)}`;
    issues.push(pathIssue("CONFIG_DURATION", [...path, "push", "expect_every"], message));
  }
  return issues;
}

function valueAt(record: Readonly<Record<string, unknown>>, keys: ConfigPath): unknown {
  let value: unknown = record;
  for (const key of keys) value = isRecord(value) ? value[String(key)] : undefined;
  return value;
}

/** Below this, a push target would be a probe the other way round: use http or tcp. */
const MIN_EXPECT_EVERY = 1000;

/** `push every 1m, grace 30s`: no token, no address (the target calls in). */
function endpoint(spec: PushProbeSpec): string {
  return `push every ${formatDuration(spec.expectEvery)}, grace ${formatDuration(spec.grace)}`;
}

export const pushKind: ProberKind<PushProbeSpec, typeof block> = {
  key: "push",
  block,
  resolve,
  check,
  readsBody: false,
  probe: notProbed,
  endpoint,
  // probe_success and pantau_* of every kind; its own gauges follow pushes (expose/push-metrics.ts)
  families: [],
};

/** A push target is never scheduled; asked anyway (`pantau probe`), it says why. */
async function notProbed(
  _target: ProbeTarget<PushProbeSpec>,
  options: ProbeOptions,
): Promise<ProbeResult> {
  return observation(options.clock.now(), "failed", "push_missed", NOT_PROBED);
}

export const NOT_PROBED = "a push target is not probed: it reports in (POST /api/v1/push/<id>)";

/** A push as an observation, at its arrival: ok, or failed `push_failed` with its message. */
export function pushResult(at: number, status: PushStatus, message: string): ProbeResult {
  if (status === "ok") return observation(at, "ok", null, message || "push ok");
  return observation(at, "failed", "push_failed", message || "push with status=fail");
}

/**
 * A missed deadline as an observation, at the deadline: failed, `push_missed`. `lastPushAt`:
 * the push the deadline ran from, or null when none was ever seen (it ran from the watch's start).
 */
export function missedDeadlineResult(
  deadline: number,
  lastPushAt: number | null,
  spec: PushProbeSpec,
): ProbeResult {
  const rule = `expect_every ${formatDuration(spec.expectEvery)} + grace ${formatDuration(spec.grace)}`;
  const since =
    lastPushAt === null ? "no push yet" : `no push since ${new Date(lastPushAt).toISOString()}`;
  return observation(deadline, "failed", "push_missed", `${since} (${rule})`);
}

function observation(
  at: number,
  result: ProbeResult["result"],
  reason: ProbeResult["reason"],
  detail: string,
): ProbeResult {
  return {
    result,
    reason,
    detail,
    startedAt: at,
    durationMs: 0,
    status: null,
    phases: { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 },
    certExpiresAt: null,
    bytesRead: 0,
    redirects: 0,
    figures: null,
  };
}
