import { Cron } from "croner";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import { phaseOffset } from "./hash.js";
import { MinHeap } from "./heap.js";

/** When a target is probed: every `intervalMs` on a stable phase, or on a croner pattern. */
export type SchedulePlan =
  | { kind: "interval"; intervalMs: number }
  | { kind: "cron"; pattern: string; timezone?: string };

/** A target's plan: its cron pattern when it has a `schedule`, else its interval. */
export function planOf(target: { schedule: string | null; interval: number }): SchedulePlan {
  return target.schedule
    ? { kind: "cron", pattern: target.schedule }
    : { kind: "interval", intervalMs: target.interval };
}

export type SkipCause = "overrun" | "queued";

/** Hooks for metrics; called synchronously from the scheduler's loop, so keep them cheap. */
export interface SchedulerObserver {
  probeStarted?(targetId: string, lagMs: number): void;
  /** A slot came due while the previous probe was still running or still waiting for a slot. */
  slotSkipped?(targetId: string, cause: SkipCause): void;
  inFlightChanged?(inFlight: number): void;
}

export interface SchedulerOptions {
  clock: Clock;
  timers: Timers;
  maxInFlight: number;
  /** Runs one probe; `plannedAt` is the slot's wall time (ms) as the clock reads now. Must not reject. */
  runProbe(targetId: string, plannedAt: number): Promise<void>;
  observer?: SchedulerObserver;
}

interface Job {
  id: string;
  plan: SchedulePlan;
  planKey: string;
  cron: Cron | null;
  /** Bumped on every re-plan or removal; heap entries of an older generation are stale. */
  generation: number;
  removed: boolean;
  running: boolean;
  /** The monotonic due time of the slot waiting for a place in flight. */
  queuedPlannedAt: number | null;
}

interface Slot {
  job: Job;
  generation: number;
  /** Monotonic ms: a wall-clock step neither fires slots early nor holds them back. */
  due: number;
  /** Ties on `due` run in the order they were planned. */
  seq: number;
}

const earlierSlot = (a: Slot, b: Slot) => a.due < b.due || (a.due === b.due && a.seq < b.seq);

/**
 * One timer for all targets: a min-heap of next slots. A target never has two probes in
 * flight; slots beyond `maxInFlight` wait in FIFO order and their wait counts as lag.
 * Slots are planned on the wall clock (epoch grid, cron) and kept in monotonic time, so a
 * wall-clock step (±1 h) neither stops probing for an hour nor fires an hour of lag.
 */
export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly slots = new MinHeap<Slot>(earlierSlot);
  private slotSeq = 0;
  private readonly waiting: Job[] = [];
  private waitingHead = 0;
  private timer: TimerHandle | null = null;
  private timerDue = Number.POSITIVE_INFINITY;
  private running = false;
  private inFlightCount = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly options: SchedulerOptions) {}

  get inFlight(): number {
    return this.inFlightCount;
  }

  get size(): number {
    return this.jobs.size;
  }

  has(targetId: string): boolean {
    return this.jobs.has(targetId);
  }

  /** Adds a target or changes its plan; an unchanged plan keeps its schedule. */
  upsert(targetId: string, plan: SchedulePlan): void {
    const planKey = JSON.stringify(plan);
    const existing = this.jobs.get(targetId);
    if (existing && existing.planKey === planKey) return;
    const job: Job = existing ?? {
      id: targetId,
      plan,
      planKey,
      cron: null,
      generation: 0,
      removed: false,
      running: false,
      queuedPlannedAt: null,
    };
    job.plan = plan;
    job.planKey = planKey;
    job.generation++;
    job.cron?.stop();
    job.cron =
      plan.kind === "cron"
        ? new Cron(plan.pattern, {
            paused: true,
            ...(plan.timezone ? { timezone: plan.timezone } : {}),
          })
        : null;
    this.jobs.set(targetId, job);
    if (this.running) this.planFirst(job);
  }

  remove(targetId: string): void {
    const job = this.jobs.get(targetId);
    if (!job) return;
    job.removed = true;
    job.generation++;
    job.cron?.stop();
    this.jobs.delete(targetId);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const job of this.jobs.values()) this.planFirst(job);
  }

  /** Stops planning new probes and resolves once every probe in flight has ended. */
  stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.options.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
    this.waiting.length = 0;
    this.waitingHead = 0;
    if (this.inFlightCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private planFirst(job: Job): void {
    const now = this.options.clock.now();
    const due = this.firstDue(job, now);
    if (due !== null) this.pushSlot(job, due - this.wallOffset(now));
  }

  /** now − monotonic: converts between the wall clock and slot times. */
  private wallOffset(now = this.options.clock.now()): number {
    return now - this.options.clock.monotonic();
  }

  private firstDue(job: Job, now: number): number | null {
    if (job.plan.kind === "cron") return this.cronDue(job, now);
    const interval = job.plan.intervalMs;
    // Slots sit on an epoch-anchored grid shifted by a stable phase: restarts keep each
    // target's phase, so thousands of targets never start together.
    const offset = phaseOffset(job.id, interval);
    const k = Math.ceil((now - offset) / interval);
    return offset + k * interval;
  }

  /** `due` and `now` are monotonic; a cron pattern is read on the wall clock. */
  private nextDue(job: Job, due: number, now: number): number | null {
    if (job.plan.kind === "cron") {
      const offset = this.wallOffset();
      const next = this.cronDue(job, Math.max(due, now) + offset);
      return next === null ? null : next - offset;
    }
    const interval = job.plan.intervalMs;
    let next = due + interval;
    // After a stall, do not replay missed slots in a burst: jump to the next future one.
    while (next <= now) next += interval;
    return next;
  }

  private cronDue(job: Job, after: number): number | null {
    const next = job.cron?.nextRun(new Date(after));
    return next ? next.getTime() : null;
  }

  private pushSlot(job: Job, due: number): void {
    this.slots.push({ job, generation: job.generation, due, seq: this.slotSeq++ });
    if (due < this.timerDue) this.arm(due);
  }

  private arm(due: number): void {
    if (this.timer) this.options.timers.clearTimeout(this.timer);
    this.timerDue = due;
    const delay = Math.max(0, due - this.options.clock.monotonic());
    this.timer = this.options.timers.setTimeout(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
    if (!this.running) return;
    const now = this.options.clock.monotonic();
    for (let slot = this.slots.peek(); slot && slot.due <= now; slot = this.slots.peek()) {
      this.slots.pop();
      if (slot.generation !== slot.job.generation) continue;
      this.onSlotDue(slot.job, slot.due, now);
    }
    const next = this.slots.peek();
    if (next) this.arm(next.due);
  }

  private onSlotDue(job: Job, due: number, now: number): void {
    const next = this.nextDue(job, due, now);
    // The loop in onTimer re-arms once at its end; no timer churn per slot.
    if (next !== null)
      this.slots.push({ job, generation: job.generation, due: next, seq: this.slotSeq++ });
    if (job.running || job.queuedPlannedAt !== null) {
      this.options.observer?.slotSkipped?.(job.id, job.running ? "overrun" : "queued");
      return;
    }
    if (this.inFlightCount < this.options.maxInFlight) {
      this.launch(job, due);
    } else {
      job.queuedPlannedAt = due;
      this.waiting.push(job);
    }
  }

  /** `due`: the slot's monotonic time. */
  private launch(job: Job, due: number): void {
    job.running = true;
    this.inFlightCount++;
    const observer = this.options.observer;
    observer?.inFlightChanged?.(this.inFlightCount);
    const offset = this.wallOffset();
    observer?.probeStarted?.(job.id, Math.max(0, this.options.clock.monotonic() - due));
    // one settled handler for both outcomes: a catch().finally() pair cost two promises a probe
    const ended = (): void => this.onProbeEnd(job);
    this.options.runProbe(job.id, due + offset).then(ended, ended);
  }

  private onProbeEnd(job: Job): void {
    job.running = false;
    this.inFlightCount--;
    this.options.observer?.inFlightChanged?.(this.inFlightCount);
    this.launchWaiting();
    if (this.inFlightCount === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private launchWaiting(): void {
    while (
      this.inFlightCount < this.options.maxInFlight &&
      this.waitingHead < this.waiting.length
    ) {
      const job = this.waiting[this.waitingHead++] as Job;
      const plannedAt = job.queuedPlannedAt;
      job.queuedPlannedAt = null;
      if (job.removed || plannedAt === null || !this.running) continue;
      this.launch(job, plannedAt);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
    }
  }
}
