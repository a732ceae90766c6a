import type { TimerHandle, Timers } from "../time/clock.js";

/**
 * One pending retry of a failing ledger write, its delay doubling from `firstMs` up to `maxMs`
 * while writes keep failing and back to `firstMs` after one succeeds: a full disk is not
 * hammered, and a ledger that comes back is noticed within `maxMs`.
 */
export class RetryBackoff {
  private timer: TimerHandle | null = null;
  private delayMs: number;

  constructor(
    private readonly timers: Timers,
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {
    this.delayMs = firstMs;
  }

  /** A retry is waiting. */
  get pending(): boolean {
    return this.timer !== null;
  }

  /** Runs `retry` after the current delay (once: a retry already waiting is kept), then doubles it. */
  schedule(retry: () => void): void {
    if (this.timer) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(delay * 2, Math.max(this.maxMs, delay));
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      retry();
    }, delay);
  }

  /** A write succeeded: the next failure waits `firstMs` again. */
  succeeded(): void {
    this.delayMs = this.firstMs;
  }

  cancel(): void {
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
