import { performance } from "node:perf_hooks";

/** Wall and monotonic time, injected everywhere so tests never sleep. */
export interface Clock {
  /** Wall-clock time in epoch milliseconds: what is recorded. */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin: what durations are measured with. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** Timer functions, injected so the scheduler can be driven by a fake clock. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  unref?(): unknown;
}

/**
 * The longest delay one Node timer takes: past it Node fires after 1 ms (with a
 * TimeoutOverflowWarning), so a monthly schedule would spin. Longer delays are waited in steps.
 */
export const MAX_TIMER_STEP_MS = 2 ** 31 - 1;

/** A timer that may span several Node timers; clearing it clears whichever is armed. */
class SteppedTimer implements TimerHandle {
  private current: ReturnType<typeof setTimeout>;
  private unreffed = false;

  constructor(callback: () => void, delayMs: number) {
    this.current = this.arm(callback, Math.max(0, delayMs));
  }

  private arm(callback: () => void, remaining: number): ReturnType<typeof setTimeout> {
    const step = Math.min(remaining, MAX_TIMER_STEP_MS);
    const timer = setTimeout(() => {
      if (remaining <= MAX_TIMER_STEP_MS) callback();
      else this.current = this.arm(callback, remaining - step);
    }, step);
    if (this.unreffed) timer.unref();
    return timer;
  }

  unref(): this {
    this.unreffed = true;
    this.current.unref();
    return this;
  }

  clear(): void {
    clearTimeout(this.current);
  }
}

export const systemTimers: Timers = {
  setTimeout: (callback, delayMs) =>
    delayMs > MAX_TIMER_STEP_MS
      ? new SteppedTimer(callback, delayMs)
      : setTimeout(callback, delayMs),
  clearTimeout: (handle) => {
    if (handle instanceof SteppedTimer) handle.clear();
    else clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};
