export interface LoopBlock {
  /** The longest gap between two ticks of an interval timer, in ms (its period included). */
  maxGapMs: number;
  ticks: number;
}

/**
 * Watches how long the event loop is blocked while something runs: an interval timer of
 * `periodMs` records the longest gap between its ticks. (monitorEventLoopDelay's maximum missed
 * whole seconds-long blocks here on node 20, so the timer's own gaps are the measure.)
 */
export function watchEventLoop(periodMs: number): { stop(): LoopBlock } {
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
      // the gap still open when it stops counts too
      maxGapMs = Math.max(maxGapMs, performance.now() - last);
      return { maxGapMs, ticks };
    },
  };
}
