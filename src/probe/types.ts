import type { DegradedRules, Expectations } from "../fields/verdict-rules.js";
import type { Clock, Timers } from "../time/clock.js";

/** Stable failure reasons (docs/probes.md); used as a metric label, so never rename one. */
export const FAILURE_REASONS = [
  "timeout",
  "dns",
  "refused",
  "reset",
  "tls",
  "cert_expired",
  "status",
  "body",
  "json",
  "too_many_redirects",
  "protocol",
  "network",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Why a probe that did not fail was judged degraded. */
export const DEGRADED_REASONS = ["latency", "body", "json", "cert_expiring"] as const;
export type DegradedReason = (typeof DEGRADED_REASONS)[number];

export type ProbeVerdict = "ok" | "degraded" | "failed";

/** Phase timings in milliseconds, blackbox_exporter's phases. 0 when the phase did not happen. */
export interface PhaseTimings {
  resolve: number;
  connect: number;
  tls: number;
  processing: number;
  transfer: number;
}

export const PHASES: readonly (keyof PhaseTimings)[] = [
  "resolve",
  "connect",
  "tls",
  "processing",
  "transfer",
];

export interface ProbeResult {
  result: ProbeVerdict;
  /** FailureReason when failed, DegradedReason when degraded, null when ok. */
  reason: FailureReason | DegradedReason | null;
  /** Human detail: `connect ECONNREFUSED 127.0.0.1:8443`, `status 503 not in 200-299`. */
  detail: string;
  /** Wall-clock start, epoch ms. */
  startedAt: number;
  /** Total duration, monotonic ms. */
  durationMs: number;
  /** Final HTTP status, null when none was received (or a TCP probe). */
  status: number | null;
  phases: PhaseTimings;
  /** Earliest notAfter of the peer certificate chain, epoch ms; null without TLS. */
  certExpiresAt: number | null;
  bytesRead: number;
  redirects: number;
  /**
   * HTTP version of the last response (1, 1.1 or 2; blackbox_exporter's probe_http_version),
   * null or absent when none (a TCP probe, no response).
   */
  httpVersion?: number | null;
}

/** What a prober needs from a target (a config `Target` is one): its own spec, its timeout and the rules to judge by. */
export interface ProbeTarget<Spec> {
  probe: Spec;
  timeout: number;
  expect: Expectations;
  degraded: DegradedRules;
  /** Name servers to ask (`global.resolver`); absent or null: the system's resolver. */
  resolver?: readonly string[] | null;
}

export interface ProbeOptions {
  clock: Clock;
  /** Aborting ends the probe at once with reason `timeout`, detail `aborted` (daemon shutdown). */
  signal?: AbortSignal;
  /** For the timeout; the system's by default (a scaled clock brings its own). */
  timers?: Timers;
}

/** The one shape of every prober: never throws, always resolves to a result. */
export type Prober<Spec> = (
  target: ProbeTarget<Spec>,
  options: ProbeOptions,
) => Promise<ProbeResult>;
