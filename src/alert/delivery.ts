import type { Logger } from "../log/logger.js";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import { backoffDelay } from "./backoff.js";
import type { AlertChannel, AlertNotice, DeliveryOutcome } from "./channel.js";
import type { AlertOutbox } from "./firing.js";
import { noticeOf, sendingClock } from "./sending-clock.js";
import { type AlertUpdate, UpdateQueue } from "./update-queue.js";

export interface AlertDeliveryOptions {
  channel: AlertChannel;
  clock: Clock;
  timers: Timers;
  /** Every delivery attempt, as `pantau_alertmanager_posts_total{result}` counts them. */
  onDelivery(result: "ok" | "error"): void;
  logger?: Logger;
  /** Jitter source in [0, 1); tests pin it. */
  random?: () => number;
  /** Updates waiting to go out at most; beyond it resends are dropped first. */
  maxQueued?: number;
}

/** A delivery that takes longer is abandoned (and retried). */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** How long `stop()` waits for the delivery in flight. */
const STOP_WAIT_MS = 2000;

/**
 * Carries updates to one channel without ever blocking the engine: updates are queued (bounded)
 * and delivered in batches, one delivery at a time, retried with backoff while the receiver
 * fails. It knows nothing of what a receiver's payload looks like: the channel does that.
 */
export class AlertDelivery implements AlertOutbox {
  private readonly queue: UpdateQueue;
  private inFlight: Promise<void> | null = null;
  private inFlightAbort: AbortController | null = null;
  private pumpQueued = false;
  private failures = 0;
  private retryTimer: TimerHandle | null = null;
  private stopped = false;

  constructor(private readonly options: AlertDeliveryOptions) {
    const { channel, logger } = options;
    this.queue = new UpdateQueue(options.maxQueued ?? 10_000, (dropped) =>
      logger?.warn({ event: `${channel.name}_queue_overflow`, dropped }),
    );
  }

  put(key: string, update: AlertUpdate): void {
    if (this.stopped) return;
    this.queue.put(key, update);
    this.schedulePump();
  }

  isWaiting(key: string): boolean {
    return this.queue.has(key);
  }

  /** Cancels the retry, waits briefly for the delivery in flight, closes the channel. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) this.options.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.inFlight) await this.waitAtMost(this.inFlight, STOP_WAIT_MS);
    this.inFlightAbort?.abort(new Error("stopped"));
    await this.options.channel.close();
  }

  /** Delivers on a microtask: updates made in the same tick share one delivery. */
  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped || this.inFlight || this.retryTimer || this.queue.size === 0) return;
    const batch = this.queue.take(this.options.channel.maxBatch);
    this.inFlight = this.deliverBatch(batch).finally(() => {
      this.inFlight = null;
      this.pump();
    });
  }

  private async deliverBatch(batch: [string, AlertUpdate][]): Promise<void> {
    // a lease runs from the moment the alert goes out, however long it waited in the queue,
    // and every time is read on the wall clock as it is then (sending-clock.ts)
    const clock = sendingClock(this.options.clock);
    const notices = batch.map(([, update]) => noticeOf(update, clock));
    const outcome = await this.attempt(notices);
    if (this.stopped) return;
    this.options.onDelivery(outcome.kind === "delivered" ? "ok" : "error");
    if (outcome.kind === "delivered") {
      this.failures = 0;
    } else if (outcome.kind === "rejected") {
      this.failures = 0;
      this.options.logger?.error({
        event: `${this.options.channel.name}_rejected`,
        alerts: notices.length,
        error: outcome.error,
      });
    } else {
      this.queue.restore(batch);
      this.retryLater(outcome.error, notices.length);
    }
  }

  private async attempt(notices: AlertNotice[]): Promise<DeliveryOutcome> {
    const abort = new AbortController();
    this.inFlightAbort = abort;
    const timeout = this.options.timers.setTimeout(
      () => abort.abort(new Error(`no answer within ${DELIVERY_TIMEOUT_MS / 1000}s`)),
      DELIVERY_TIMEOUT_MS,
    );
    try {
      return await this.options.channel.deliver(notices, abort.signal);
    } catch (error) {
      // a channel that throws broke its contract: keep the batch and the process alive
      return { kind: "retry", error: error instanceof Error ? error.message : String(error) };
    } finally {
      this.options.timers.clearTimeout(timeout);
      this.inFlightAbort = null;
    }
  }

  private retryLater(error: string, alerts: number): void {
    this.failures += 1;
    const delayMs = backoffDelay(this.failures, (this.options.random ?? Math.random)());
    this.options.logger?.warn({
      event: `${this.options.channel.name}_post_failed`,
      alerts,
      attempt: this.failures,
      retry_in_ms: delayMs,
      error,
    });
    this.retryTimer = this.options.timers.setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, delayMs);
    this.retryTimer.unref?.();
  }

  private async waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
    let timer: TimerHandle | null = null;
    const elapsed = new Promise<void>((resolve) => {
      timer = this.options.timers.setTimeout(resolve, ms);
    });
    await Promise.race([promise, elapsed]);
    if (timer) this.options.timers.clearTimeout(timer);
  }
}
