import type { Target } from "../config/types.js";
import {
  firstDeadlineAfter,
  missedDeadlines,
  type PushTiming,
  pushDeadline,
} from "../health/push-deadline.js";
import type { PushRecord } from "../ledger/ledger.js";
import {
  missedDeadlineResult,
  type PushProbeSpec,
  type PushStatus,
  pushResult,
} from "../probe/push.js";
import type { ProbeResult } from "../probe/types.js";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import type { EngineEvent } from "./events.js";
import type { PushRecorder } from "./push-recorder.js";

/** One push target as watched: where its deadlines run from, and the next one. */
interface Watch {
  target: Target;
  spec: PushProbeSpec;
  /** Wall ms its deadlines run from: its last push, or when the watch began if none. */
  base: number;
  /** wall − monotonic as `base` was read: deadlines are kept in monotonic time, as slots are. */
  baseOffset: number;
  lastPush: PushRecord | null;
  /** Index of the next deadline after `base` (1: the first). */
  next: number;
  timer: TimerHandle | null;
  /** At start: the ledger's last push, observed again once every target is restored. */
  replay: PushRecord | null;
}

export interface PushWatchOptions {
  clock: Clock;
  timers: Timers;
  recorder: PushRecorder;
  /** Folds an observation into the target's chain; `startOffset` as for a probe. */
  observe(targetId: string, result: ProbeResult, startOffset: number): void;
  /** `since` of the target's decided state (null: never transitioned). */
  since(targetId: string): number | null;
  emit(event: EngineEvent): void;
}

/** What a push got: when it counted, the deadline of the next, whether the ledger has it. */
export type PushReceipt =
  | { kind: "received"; at: number; deadline: number; recorded: boolean }
  /** Not a watched push target (removed by a reload meanwhile), or the daemon is stopping. */
  | { kind: "not-watched" };

/** A push target as the API shows it. */
export interface PushView {
  lastPush: PushRecord | null;
  /** The deadline of the next push. */
  deadline: number;
}

/**
 * The push targets' side of the engine: each push is an observation at its arrival, and each
 * deadline that passes without one is a failed observation at the deadline
 * (health/push-deadline.ts), both folded into the target's chain like probe results. One timer
 * per target, armed for its next deadline; a deadline found passed late — a busy loop, a
 * restart — is observed with its own time before anything after it.
 */
export class PushWatch {
  private readonly watches = new Map<string, Watch>();
  private started = false;

  constructor(private readonly options: PushWatchOptions) {}

  has(targetId: string): boolean {
    return this.watches.has(targetId);
  }

  /**
   * Watches a push target. `lastPush`: its last push in the ledger (at start), from which its
   * deadlines run; without one they run from now. A target watched already keeps its last
   * push; a changed timing applies to deadlines after now.
   */
  watch(target: Target, lastPush: PushRecord | null = null): void {
    const spec = pushSpecOf(target);
    const existing = this.watches.get(target.id);
    if (existing) {
      this.rewatch(existing, target, spec);
      return;
    }
    const now = this.options.clock.now();
    const watch: Watch = {
      target,
      spec,
      base: lastPush?.at ?? now,
      baseOffset: now - this.options.clock.monotonic(),
      lastPush,
      next: 1,
      timer: null,
      replay: lastPush,
    };
    this.watches.set(target.id, watch);
    if (this.started) this.begin(watch);
  }

  unwatch(targetId: string): void {
    const watch = this.watches.get(targetId);
    if (!watch) return;
    this.disarm(watch);
    this.watches.delete(targetId);
  }

  /** Begins watching: each last push is observed again, passed deadlines are caught up. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const watch of this.watches.values()) this.begin(watch);
  }

  /** Stops: no deadline fires and no push counts any more. */
  stop(): void {
    this.started = false;
    for (const watch of this.watches.values()) this.disarm(watch);
    this.options.recorder.stop();
  }

  view(targetId: string): PushView | null {
    const watch = this.watches.get(targetId);
    if (!watch) return null;
    return { lastPush: watch.lastPush, deadline: this.deadlineOf(watch) };
  }

  /**
   * A push arrived now: deadlines that passed before it are observed first, then the push;
   * resolves once the ledger has it (or its write failed).
   */
  async received(targetId: string, status: PushStatus, message: string): Promise<PushReceipt> {
    const watch = this.watches.get(targetId);
    if (!watch || !this.started) return { kind: "not-watched" };
    const { clock } = this.options;
    this.catchUp(watch);
    const at = clock.now();
    const push: PushRecord = { targetId, at, status, message };
    watch.base = at;
    watch.baseOffset = at - clock.monotonic();
    watch.lastPush = push;
    watch.next = 1;
    watch.replay = null;
    this.options.observe(targetId, pushResult(at, status, message), watch.baseOffset);
    this.settle(watch);
    const recorded = await this.options.recorder.record(push);
    return { kind: "received", at, deadline: pushDeadline(at, watch.spec, 1), recorded };
  }

  private rewatch(watch: Watch, target: Target, spec: PushProbeSpec): void {
    const timingChanged =
      watch.spec.expectEvery !== spec.expectEvery || watch.spec.grace !== spec.grace;
    watch.target = target;
    watch.spec = spec;
    if (!timingChanged) return;
    // deadlines that passed under the old timing are not counted again under the new one
    watch.next = firstDeadlineAfter(watch.base, spec, this.nowOnBase(watch));
    if (this.started) this.settle(watch);
  }

  private begin(watch: Watch): void {
    const replay = watch.replay;
    watch.replay = null;
    const since = this.options.since(watch.target.id);
    // the last push may be half of a streak the restart cut: observed again, it continues it
    // (one that decided the state it is in confirms it; one from before that state is history)
    if (replay && (since === null || replay.at >= since)) {
      const result = pushResult(replay.at, replay.status, replay.message);
      this.options.observe(watch.target.id, result, watch.baseOffset);
    }
    this.catchUp(watch);
    this.settle(watch);
  }

  /**
   * Observes the deadlines passed by now, each at its own time. After a long gap only the
   * first failure_threshold of them and the last (health/push-deadline.ts).
   */
  private catchUp(watch: Watch): void {
    const { base, spec, target } = watch;
    const now = this.nowOnBase(watch);
    const { missed, next } = missedDeadlines(base, spec, watch.next, now, target.failureThreshold);
    watch.next = next;
    const lastPushAt = watch.lastPush?.at ?? null;
    for (const deadline of missed) {
      const result = missedDeadlineResult(deadline, lastPushAt, spec);
      this.options.observe(target.id, result, watch.baseOffset);
    }
  }

  /** Arms the timer for the next deadline and tells the readers. */
  private settle(watch: Watch): void {
    this.disarm(watch);
    const { clock, timers } = this.options;
    const due = this.deadlineOf(watch) - watch.baseOffset;
    watch.timer = timers.setTimeout(
      () => this.onDeadline(watch),
      Math.max(0, due - clock.monotonic()),
    );
    this.options.emit({
      kind: "push",
      target: watch.target,
      lastPush: watch.lastPush,
      deadline: this.deadlineOf(watch),
    });
  }

  private onDeadline(watch: Watch): void {
    watch.timer = null;
    if (!this.started || this.watches.get(watch.target.id) !== watch) return;
    this.catchUp(watch);
    this.settle(watch);
  }

  private disarm(watch: Watch): void {
    if (watch.timer) this.options.timers.clearTimeout(watch.timer);
    watch.timer = null;
  }

  private deadlineOf(watch: Watch): number {
    return pushDeadline(watch.base, watch.spec, watch.next);
  }

  /** Now, read on the wall-clock base its deadlines were computed on. */
  private nowOnBase(watch: Watch): number {
    return this.options.clock.monotonic() + watch.baseOffset;
  }
}

function pushSpecOf(target: Target): PushProbeSpec & PushTiming {
  if (target.probe.kind !== "push") throw new Error(`bug: "${target.id}" is not a push target`);
  return target.probe;
}
