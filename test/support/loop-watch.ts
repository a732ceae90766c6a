import { monitorEventLoopDelay } from "node:perf_hooks";

export interface LoopBlock {
  /** The longest event-loop delay seen by monitorEventLoopDelay (10 ms resolution), in ms. */
  maxDelayMs: number;
  /** The longest gap between two ticks of an interval timer, in ms (its period included). */
  maxGapMs: number;
  ticks: number;
}

/**
 * Watches how long the event loop is blocked while something runs: an interval timer of
 * `periodMs` records the longest gap between its ticks, and monitorEventLoopDelay its maximum.
 */
export function watchEventLoop(periodMs: number): { stop(): LoopBlock } {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let last = performance.now();
  let maxGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, periodMs);
  return {
    stop() {
      clearInterval(timer);
      delay.disable();
      // the gap still open when it stops counts too
      maxGapMs = Math.max(maxGapMs, performance.now() - last);
      return { maxDelayMs: delay.max / 1e6, maxGapMs, ticks };
    },
  };
}
