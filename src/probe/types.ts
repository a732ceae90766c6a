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
  // DNS: the response code is not one of valid_rcodes
  "rcode",
  // DNS: the records of a section broke one of its validate_*_rrs rules
  "records",
  // gRPC: the health check ended with a gRPC status other than OK (UNIMPLEMENTED, NOT_FOUND…)
  "grpc_status",
  // gRPC: the health check answered, with a serving status other than SERVING
  "not_serving",
  // push targets: a push with status=fail, and a deadline that passed without a push
  "push_failed",
  "push_missed",
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
  /** What the kind measured beyond the fields above (DNS records, gRPC status); null for http and tcp. */
  figures: KindFigures | null;
}

/** A kind's own figures, for its metric families and `pantau probe`; `kind` names the kind. */
export type KindFigures = DnsFigures | GrpcFigures;

export interface DnsFigures {
  kind: "dns";
  /** The response code of the answer judged (`NOERROR`, `NXDOMAIN`…); null when none came. */
  rcode: string | null;
  answerRrs: number;
  authorityRrs: number;
  additionalRrs: number;
  /** Over which transport the judged answer came; null when none came. */
  transport: "udp" | "tcp" | null;
  /** The UDP answer had the TC bit set (the probe then asked again over TCP). */
  truncated: boolean;
}

/** grpc.health.v1's serving statuses, by their enum value. */
export const SERVING_STATUSES = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"] as const;
export type ServingStatus = (typeof SERVING_STATUSES)[number];

export interface GrpcFigures {
  kind: "grpc";
  /** The call's gRPC status code (0 OK, 12 UNIMPLEMENTED, 14 UNAVAILABLE…), as grpc-js reports it. */
  statusCode: number;
  /** The health check's answer; null when the call did not return one. */
  servingStatus: ServingStatus | null;
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
