import type { Clock, TimerHandle, Timers } from "../../src/time/clock.js";

interface FakeTimer extends TimerHandle {
  /** Monotonic, like real timers: a wall-clock jump does not move them. */
  due: number;
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/** A clock and timers that only move when a test says so: no sleeping, no flakiness. */
export class FakeTime implements Clock, Timers {
  private wall: number;
  private mono = 0;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(startWall = Date.UTC(2024, 5, 20, 0, 0, 0)) {
    this.wall = startWall;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer: FakeTimer = {
      due: this.mono + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as FakeTimer).cancelled = true;
  }

  get pendingTimers(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.mono + ms;
    for (;;) {
      await settle();
      const next = this.nextTimer(end);
      if (!next) break;
      this.wall += next.due - this.mono;
      this.mono = next.due;
      next.cancelled = true;
      next.callback();
    }
    this.wall += end - this.mono;
    this.mono = end;
    await settle();
  }

  /** Steps the wall clock alone (NTP, an operator): monotonic time and timers do not move. */
  jumpWall(ms: number): void {
    this.wall += ms;
  }

  private nextTimer(until: number): FakeTimer | undefined {
    this.timers = this.timers.filter((timer) => !timer.cancelled);
    let best: FakeTimer | undefined;
    for (const timer of this.timers) {
      if (timer.due > until) continue;
      if (!best || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) {
        best = timer;
      }
    }
    return best;
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
