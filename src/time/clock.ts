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

export const systemTimers: Timers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
