import type { Clock, TimerHandle, Timers } from "./clock.js";

/**
 * A clock that runs `rate` times faster than an underlying one (a replay at 3600× reads an
 * hour per second), with timers on the same scale. The demo's daemon, its simulated estate and
 * its scenario all run on one such clock, so what the ledger records is scenario time.
 *
 * Wall and monotonic readings are one scaled count: `now() − monotonic()` never changes, so a
 * reader comparing the two (the engine's clock-step check) never sees a step, whatever the rate.
 *
 * Exact times, by design: the reading never passes a timer that has not fired, and while a
 * timer's callback runs the clock reads that timer's due time. A probe launched by the
 * scheduler's timer therefore starts exactly on its slot, however late the underlying timer
 * fired; with `maxCatchUpMs`, lateness beyond it is dropped rather than raced through, so on a
 * busy machine the replay slows down instead of smearing the recorded times.
 * Readings are whole milliseconds and never go back.
 */
export interface ScaledClockOptions {
  /** The underlying time: only its monotonic reading is used. */
  clock: Pick<Clock, "monotonic">;
  timers: Timers;
  /** The wall time (epoch ms) the scaled clock reads at its start. */
  startAt: number;
  /** Scaled time per underlying time; 0 stands still. */
  rate: number;
  /**
   * How far (scaled ms) the clock may run on past a late timer to catch up; beyond, the
   * underlying time is dropped. Default: no limit. After a stall of the process a clock that
   * caught up at once would bring deadlines due before work it held up could finish.
   */
  maxCatchUpMs?: number;
}

interface ScaledTimer extends TimerHandle {
  /** Scaled ms since the start. */
  due: number;
  seq: number;
  callback: () => void;
}

export class ScaledClock implements Clock {
  readonly timers: Timers;
  private readonly base: ScaledClockOptions["clock"];
  private readonly baseTimers: Timers;
  private readonly startAt: number;
  private currentRate: number;
  /** The mapping underlying → scaled is linear from this anchor on. */
  private anchorBase: number;
  private anchorScaled = 0;
  /** The latest reading (scaled ms since the start); readings never go below it. */
  private current = 0;
  /** Pending timers, by due then by the order they were set. */
  private readonly queue: ScaledTimer[] = [];
  private seq = 0;
  private baseTimer: TimerHandle | null = null;
  private firing = false;
  private holds = 0;
  private readonly maxCatchUp: number;

  constructor(options: ScaledClockOptions) {
    checkRate(options.rate);
    this.base = options.clock;
    this.baseTimers = options.timers;
    this.startAt = options.startAt;
    this.currentRate = options.rate;
    this.maxCatchUp = options.maxCatchUpMs ?? Number.POSITIVE_INFINITY;
    this.anchorBase = options.clock.monotonic();
    this.timers = {
      setTimeout: (callback, delayMs) => this.setTimer(callback, delayMs),
      clearTimeout: (handle) => this.clearTimer(handle as ScaledTimer),
    };
  }

  now(): number {
    return this.startAt + this.elapsed();
  }

  monotonic(): number {
    return this.elapsed();
  }

  get rate(): number {
    return this.currentRate;
  }

  /** Changes the rate from now on; pending timers keep their scaled due times. */
  setRate(rate: number): void {
    checkRate(rate);
    // re-anchored where the old mapping stands, so no scaled time is lost or repeated
    this.anchorScaled = Math.max(this.current, this.mapped());
    this.anchorBase = this.base.monotonic();
    this.currentRate = rate;
    this.arm();
  }

  /**
   * Stops the clock while `work` runs: nothing sees time pass, and only timers already due
   * fire. The simulated world changes in one instant of scenario time this way.
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.current = this.elapsed();
    this.holds++;
    this.arm();
    try {
      return await work();
    } finally {
      this.holds--;
      if (this.holds === 0) {
        // the underlying time spent holding is not scenario time
        this.anchorScaled = this.current;
        this.anchorBase = this.base.monotonic();
      }
      this.arm();
    }
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.queue.length;
  }

  private elapsed(): number {
    if (this.firing || this.holds > 0) return this.current;
    const bound = this.queue[0]?.due ?? Number.POSITIVE_INFINITY;
    const reading = Math.min(this.mapped(), bound);
    if (reading > this.current) this.current = reading;
    return this.current;
  }

  /** Where the linear mapping stands, unbounded by timers. */
  private mapped(): number {
    if (this.holds > 0) return this.current;
    const baseElapsed = this.base.monotonic() - this.anchorBase;
    return this.anchorScaled + Math.floor(baseElapsed * this.currentRate);
  }

  // Counted from the latest reading, not a fresh one: a caller that reads the clock and then
  // sets a timer gets exactly its reading + delay (the scheduler's slots depend on it).
  private setTimer(callback: () => void, delayMs: number): TimerHandle {
    const delay = Number.isFinite(delayMs) ? Math.max(0, Math.ceil(delayMs)) : 0;
    const timer: ScaledTimer = { due: this.current + delay, seq: this.seq++, callback };
    const index = this.queue.findIndex((t) => t.due > timer.due);
    if (index === -1) this.queue.push(timer);
    else this.queue.splice(index, 0, timer);
    if (index === 0 || this.queue.length === 1) this.arm();
    return timer;
  }

  private clearTimer(timer: ScaledTimer): void {
    const index = this.queue.indexOf(timer);
    if (index === -1) return;
    this.queue.splice(index, 1);
    // a cleared head leaves the underlying timer armed early: it fires, finds nothing, re-arms
  }

  /** One underlying timer, for the earliest scaled timer, at the current rate. */
  private arm(): void {
    if (this.baseTimer !== null) this.baseTimers.clearTimeout(this.baseTimer);
    this.baseTimer = null;
    const head = this.queue[0];
    if (head === undefined) return;
    const ahead = head.due - Math.max(this.current, this.mapped());
    if (ahead > 0 && (this.holds > 0 || this.currentRate === 0)) return;
    const delay = ahead <= 0 ? 0 : Math.ceil(ahead / this.currentRate);
    this.baseTimer = this.baseTimers.setTimeout(() => this.fireDue(), delay);
  }

  /**
   * Fires, in order, every timer due by where the mapping stands, each with the clock reading
   * its due time. Timers set meanwhile wait for the next round, so a callback that sets a
   * timer due at once cannot keep the loop from the underlying event loop forever.
   */
  private fireDue(): void {
    this.baseTimer = null;
    this.dropLateness();
    const until = Math.max(this.current, this.mapped());
    const setBefore = this.seq;
    this.firing = true;
    try {
      for (let timer = this.queue[0]; timer !== undefined; timer = this.queue[0]) {
        if (timer.due > until || timer.seq >= setBefore) break;
        // a callback that took hold (a scenario step) stops the clock for the timers after it
        if (this.holds > 0 && timer.due > this.current) break;
        this.queue.shift();
        if (timer.due > this.current) this.current = timer.due;
        timer.callback();
      }
    } finally {
      this.firing = false;
      this.arm();
    }
  }

  /** Re-anchors the mapping when it has run more than `maxCatchUp` past the earliest timer. */
  private dropLateness(): void {
    const head = this.queue[0];
    if (head === undefined || this.holds > 0) return;
    const due = Math.max(head.due, this.current);
    if (this.mapped() - due <= this.maxCatchUp) return;
    this.anchorScaled = due + this.maxCatchUp;
    this.anchorBase = this.base.monotonic();
  }
}

function checkRate(rate: number): void {
  if (!(Number.isFinite(rate) && rate >= 0)) {
    throw new RangeError(`a clock rate must be a finite number ≥ 0, got ${rate}`);
  }
}
