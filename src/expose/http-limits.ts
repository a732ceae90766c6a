import type { ConnectionLimits } from "./connection-admission.js";

/**
 * Bounds that keep slow, idle or hostile clients from holding the monitor's HTTP server, so
 * `/metrics`, `/-/healthy` and `/-/ready` stay answerable under a connection flood
 * (docs/reliability.md#connection-floods; the figures are in the README).
 */
export interface HttpLimits extends ConnectionLimits {
  /** A request head larger than this answers 431. */
  maxHeaderBytes: number;
  /** A full request head must arrive within this, else 408 and the connection is closed. */
  headersTimeoutMs: number;
  /** The whole request (head and body) must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above: a timeout may run late by up to this. */
  timeoutCheckMs: number;
}

export const HTTP_LIMITS: HttpLimits = {
  maxConnections: 512,
  overflowConnections: 512,
  slowHeadMs: 1_000,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  timeoutCheckMs: 1_000,
};

/** Served even on an overflow connection: what Prometheus and the orchestrator must reach. */
export const MONITORING_PATHS: ReadonlySet<string> = new Set([
  "/metrics",
  "/-/healthy",
  "/-/ready",
]);
