import type { TimerHandle, Timers } from "../time/clock.js";

/**
 * Probes the demo's daemon has started whose request has not reached the simulated estate yet.
 * Before a step switches the estate the demo waits, its clock held, until none is on its way:
 * a probe started before a step then meets the estate as it was before it, however fast the
 * replay runs and however busy the machine is (a probe is judged as of its start).
 */
export class ProbesOnTheirWay {
  private readonly onTheirWay = new Set<string>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly timers: Timers) {}

  get count(): number {
    return this.onTheirWay.size;
  }

  started(targetId: string): void {
    this.onTheirWay.add(targetId);
  }

  /** Its request reached the endpoint, or it ended without (refused, timed out). */
  arrived(targetId: string): void {
    if (!this.onTheirWay.delete(targetId) || this.onTheirWay.size > 0) return;
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves true once no probe is on its way; false after `boundMs` (a safety net). */
  settled(boundMs: number): Promise<boolean> {
    if (this.onTheirWay.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: TimerHandle | null = null;
      const done = (outcome: boolean) => {
        this.waiters.delete(wake);
        if (timer !== null) this.timers.clearTimeout(timer);
        resolve(outcome);
      };
      const wake = () => done(true);
      this.waiters.add(wake);
      timer = this.timers.setTimeout(() => done(false), boundMs);
    });
  }
}
