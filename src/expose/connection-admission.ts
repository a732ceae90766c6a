/**
 * Who gets a connection slot when the HTTP server is full (pure; time passed in, monotonic ms).
 *
 * A new connection is never refused while an old one is only holding a slot: the oldest idle
 * keep-alive connection is closed first, then the connection that has waited longest for its
 * request head (a slowloris client) — so a Prometheus scrape or a health check always finds
 * room. Only when every slot is busy answering does a new connection go to the overflow, where
 * its request is answered 503 with `Retry-After` (the monitoring paths are still served); and
 * only when the overflow is full too and no connection at all is merely waiting is the new one
 * refused.
 */

export interface ConnectionLimits {
  /** Connections whose requests are worked on at once. */
  maxConnections: number;
  /** Beyond those, connections admitted only to be told 503 "busy, retry" (or to be scraped). */
  overflowConnections: number;
  /**
   * A connection without a full request head after this long is slow: it gives up its slot to a
   * new one. (Younger ones are not: their head is most likely in flight.)
   */
  slowHeadMs: number;
}

/** What the server knows of one open connection. */
export interface ConnectionView {
  /** When it was accepted (monotonic ms). */
  openedAt: number;
  /** Requests on it whose answer has not finished. */
  inFlight: number;
  /** Requests answered on it so far. */
  served: number;
  /** When its last answer finished (monotonic ms); meaningful once `served > 0`. */
  idleSince: number;
  /** Admitted to the overflow. */
  overflow: boolean;
}

export type ShedReason = "idle" | "slow";

export type Admission<T> =
  | { kind: "admit"; overflow: boolean }
  | { kind: "shed"; victim: T; reason: ShedReason; overflow: boolean }
  | { kind: "refuse" };

/** How a new connection is let in, given the open ones (in the order they were accepted). */
export function admit<T extends ConnectionView>(
  open: readonly T[],
  now: number,
  limits: ConnectionLimits,
): Admission<T> {
  let slots = 0;
  let overflow = 0;
  for (const connection of open) {
    if (connection.overflow) overflow++;
    else slots++;
  }
  if (slots < limits.maxConnections) return { kind: "admit", overflow: false };
  const slotVictim = victimOf(open, (c) => !c.overflow, now - limits.slowHeadMs);
  if (slotVictim) return { kind: "shed", ...slotVictim, overflow: false };
  if (overflow < limits.overflowConnections) return { kind: "admit", overflow: true };
  // everything is full: any connection still waiting for its head goes, however young
  const lastResort = victimOf(open, () => true, Number.POSITIVE_INFINITY);
  if (lastResort) return { kind: "shed", ...lastResort, overflow: lastResort.victim.overflow };
  return { kind: "refuse" };
}

/**
 * The oldest idle keep-alive connection among those `eligible`, else the oldest one without a
 * full request head that was opened at or before `slowBefore`.
 */
function victimOf<T extends ConnectionView>(
  open: readonly T[],
  eligible: (connection: T) => boolean,
  slowBefore: number,
): { victim: T; reason: ShedReason } | null {
  let idle: T | null = null;
  let slow: T | null = null;
  for (const connection of open) {
    if (connection.inFlight > 0 || !eligible(connection)) continue;
    if (connection.served > 0) {
      if (idle === null || connection.idleSince < idle.idleSince) idle = connection;
    } else if (connection.openedAt <= slowBefore) {
      if (slow === null || connection.openedAt < slow.openedAt) slow = connection;
    }
  }
  if (idle) return { victim: idle, reason: "idle" };
  if (slow) return { victim: slow, reason: "slow" };
  return null;
}
