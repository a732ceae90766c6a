import type { AlertEnd, OutageAlert } from "./outage-alert.js";

/**
 * The seam between deciding what pages and carrying it somewhere. A channel turns a batch of
 * alerts into ONE delivery (a request, a message) and says how it went. Firing, holds,
 * resends and their leases (firing.ts), queueing, batching, retries and backoff (delivery.ts)
 * are done for every channel alike, so a new channel is this interface and nothing else.
 */

/**
 * An alert as a channel carries it. Its times (`outage.start`, `leaseUntil`, `end.at`) are on
 * the wall clock as it read when the delivery went out (sending-clock.ts), never after then
 * but for the lease: a receiver may compare them with its own clock.
 */
export type AlertNotice =
  | {
      status: "firing";
      outage: OutageAlert;
      /**
       * Wall-clock ms until which the receiver should keep the alert firing without hearing
       * again: each resend extends it, so an alert whose sender died resolves by itself.
       */
      leaseUntil: number;
    }
  | { status: "resolved"; outage: OutageAlert; end: AlertEnd };

/** How one delivery went. */
export type DeliveryOutcome =
  | { kind: "delivered" }
  /** Worth trying again later (no answer, overloaded): the batch goes back to the queue. */
  | { kind: "retry"; error: string }
  /** The receiver refused the batch itself: sending it again would be refused again. */
  | { kind: "rejected"; error: string };

export interface AlertChannel {
  /** Names the channel in log events: `<name>_post_failed`, `<name>_rejected`. */
  readonly name: string;
  /** Most alerts one delivery may carry. */
  readonly maxBatch: number;
  /**
   * Delivers `alerts` once, in order. Never throws (a failure is an outcome). Gives up when
   * `signal` aborts; the signal's reason says why (no answer in time), for the error text.
   */
  deliver(alerts: readonly AlertNotice[], signal: AbortSignal): Promise<DeliveryOutcome>;
  /** Frees what the channel holds (connections); called once, after the last delivery. */
  close(): Promise<void>;
}
