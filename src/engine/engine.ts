import { setMaxListeners } from "node:events";
import type { MaintenanceWindow, Target } from "../config/types.js";
import { pendingUpstreams, type UpstreamVerdict } from "../health/attribution.js";
import { activeMaintenance, maintenanceIntervals } from "../health/maintenance.js";
import {
  decide,
  type HealthState,
  initialHealth,
  lastFailedAt,
  lastOkAt,
  restoreHealth,
} from "../health/state-machine.js";
import type { Transition } from "../health/types.js";
import { isLedgerError } from "../ledger/errors.js";
import type { AttributionChange, NewTransition, StoredTransition } from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import type { TimerHandle, Timers } from "../time/clock.js";
import { WALL_CLOCK_JUMP_MS, WallClockWatch } from "../time/wall-clock-watch.js";
import { type AttributionSubject, AttributionTracker } from "./attribution-tracker.js";
import { BlindDetector } from "./blind.js";
import { type LedgerOperation, LedgerTrouble, type LedgerTroubleStatus } from "./ledger-trouble.js";
import { type PageHoldChange, PageHolds, verdictDeadline } from "./page-holds.js";
import type {
  CommittedState,
  CommittedTransition,
  EngineOptions,
  EngineSubscriber,
  QueueState,
} from "./types.js";

export type {
  CommittedState,
  CommittedTransition,
  EngineOptions,
  EngineSubscriber,
  QueueState,
  RunProbe,
} from "./types.js";

/** Inconsistent input the ledger will never accept, unlike I/O errors worth retrying. */
function isRefusal(error: unknown): boolean {
  return (
    isLedgerError(error, "LEDGER_TRANSITION_CHAIN") ||
    isLedgerError(error, "LEDGER_TRANSITION_ORDER") ||
    isLedgerError(error, "LEDGER_INVALID")
  );
}

interface TargetRuntime {
  target: Target;
  /** The decision chain; runs ahead of `committed` until the ledger accepts. */
  health: HealthState;
  committed: CommittedState;
  lastResult: ProbeResult | null;
  /** `at` of the last decided transition: a wall clock stepping back must not reorder them. */
  lastAt: number;
  /** Inside a maintenance window at the last probe's start. */
  inMaintenance: boolean;
  /**
   * While down: the wall offset (wall − monotonic) the outage's start was recorded with. When
   * the wall clock steps during the outage, its end is put on the same base, so the outage
   * lasts what the monotonic clock measured; the next non-down period absorbs the step.
   */
  downOffset: number | null;
  /** Wall offset of the current streak's first probe, as fed to the state machine. */
  streakOffset: number;
  /** A decision of this target is being put off for a full queue (counted once). */
  held: boolean;
}

/** A batch this large is committed at once, window or not. */
const MAX_BATCH = 5000;
/** A backlog beyond MAX_BATCH drains in transactions of this size, yielding between them. */
const BACKLOG_CHUNK = 1000;

export const DEFAULT_MAX_PENDING = 100_000;
const DEFAULT_RETRY_MS = 1000;
const DEFAULT_RETRY_MAX_MS = 30_000;
const DEFAULT_REPORT_EVERY_MS = 60_000;

/**
 * Added to a page hold's bound: probes start a little late (scheduler lag, the in-flight
 * cap) and results take a moment to decide and commit.
 */
const HOLD_SLACK_MS = 1000;

/** Thresholds no streak reaches: extends a streak without deciding (see `hold`). */
const NEVER = {
  failureThreshold: Number.POSITIVE_INFINITY,
  successThreshold: Number.POSITIVE_INFINITY,
  degradedThreshold: Number.POSITIVE_INFINITY,
};

/**
 * decide → commit → publish. Transitions decided close together are committed in one
 * ledger transaction; while one commit is in progress the next batch accumulates.
 */
export class Engine {
  private readonly targets = new Map<string, TargetRuntime>();
  private readonly subscribers: EngineSubscriber[] = [];
  private pending: NewTransition[] = [];
  private committing: Promise<void> | null = null;
  private flushQueued = false;
  /** An attribution change is due without a transition (a release now seen to be due). */
  private attributionDue = false;
  private retryTimer: ReturnType<Timers["setTimeout"]> | null = null;
  private readonly shutdown = new AbortController();
  private readonly attribution = new AttributionTracker();
  /** Start of the outage each pending transition out of `down` ends. */
  private readonly outageStarts = new WeakMap<NewTransition, number>();
  private readonly blindness: BlindDetector;
  private maintenance: readonly MaintenanceWindow[];
  /** The open blind gap's id, once the ledger has it. */
  private blindGap: Promise<number | null> | null = null;
  /** Size of the batch being written (part of the queue until it is committed). */
  private committingCount = 0;
  private retryDelayMs: number;
  /** The queue's bound; a reload may change it (see `setPolicy`). */
  private maxPending: number;
  private droppedCount = 0;
  private readonly trouble: LedgerTrouble;
  private readonly wallClock: WallClockWatch;
  /** False on an HA standby: it decides (warm) but the leader writes; see `standby`. */
  private writer = true;
  /** On a standby, each target's last decided transition: what a takeover writes. */
  private readonly warmTransitions = new Map<string, Transition>();
  /** Dependants' pages waiting for an upstream's verdict (SPEC §4). */
  private readonly holds = new PageHolds();
  private holdTimer: { handle: TimerHandle; due: number } | null = null;
  /** What the pending rule reads of each target, without a map built per review. */
  private readonly upstreamView = {
    get: (id: string): UpstreamVerdict | undefined => {
      const rt = this.targets.get(id);
      if (rt === undefined) return undefined;
      return {
        id,
        dependsOn: rt.target.dependsOn,
        downCommitted: rt.committed.state === "down",
        lastOkAt: lastOkAt(rt.health),
      };
    },
  };

  constructor(private readonly options: EngineOptions) {
    // Every probe in flight listens on the one shutdown signal.
    setMaxListeners(0, this.shutdown.signal);
    this.blindness = new BlindDetector(options.canaries ?? []);
    this.maintenance = options.maintenance ?? [];
    this.retryDelayMs = options.commitRetryMs ?? DEFAULT_RETRY_MS;
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.trouble = new LedgerTrouble(options.ledgerReportEveryMs ?? DEFAULT_REPORT_EVERY_MS);
    this.wallClock = new WallClockWatch(options.clock);
  }

  /** Why the ledger cannot be written now, or null. */
  get ledgerTrouble(): (LedgerTroubleStatus & { pending: number }) | null {
    const status = this.trouble.status;
    return status && { ...status, pending: this.pendingCount };
  }

  /** Outcome of a ledger write made outside the engine (the daemon's heartbeat). */
  ledgerWriteFailed(operation: LedgerOperation, error: unknown): void {
    const { clock } = this.options;
    const report = this.trouble.failed(operation, error, clock.now(), clock.monotonic());
    if (report) for (const s of this.subscribers) s.ledgerUnwritable?.(report, this.queueState);
  }

  ledgerWriteSucceeded(operation: LedgerOperation): void {
    const recovered = this.trouble.succeeded(operation, this.options.clock.now());
    if (recovered) for (const s of this.subscribers) s.ledgerWritable?.(recovered, this.queueState);
  }

  get queueState(): QueueState {
    return { length: this.pendingCount, max: this.maxPending, dropped: this.droppedCount };
  }

  /**
   * Canaries, maintenance windows and the queue's bound, replaced on reload. A bound below
   * the queue's length drops nothing already queued (each was published to no one yet, and a
   * target's chain must stay whole): new decisions are put off until the queue is below it.
   */
  setPolicy(policy: {
    canaries: readonly string[];
    maintenance: readonly MaintenanceWindow[];
    maxPending?: number;
  }): void {
    this.blindness.setCanaries(policy.canaries);
    this.maintenance = policy.maintenance;
    if (policy.maxPending !== undefined) this.maxPending = policy.maxPending;
  }

  /** Why the monitor is blind, or null. */
  get blind(): { since: number; canaries: string[] } | null {
    const since = this.blindness.since;
    return since === null ? null : { since, canaries: this.blindness.canaries };
  }

  subscribe(subscriber: EngineSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /**
   * Restores a target's state from its latest committed transition (after a restart);
   * `blockedBy` is its open outage's current attribution.
   */
  restore(target: Target, latest: StoredTransition | null, blockedBy: string | null = null): void {
    const health = latest
      ? restoreHealth(latest.to, latest.at, latest.previousProbeAt)
      : initialHealth();
    const down = latest?.to === "down";
    if (down) this.attribution.restore(target.id, blockedBy);
    this.targets.set(target.id, {
      target,
      health,
      committed: {
        state: latest?.to ?? "unknown",
        since: latest?.at ?? null,
        transition: latest,
        blockedBy: down ? blockedBy : null,
      },
      lastResult: null,
      lastAt: latest?.at ?? Number.NEGATIVE_INFINITY,
      inMaintenance: false,
      // an outage from before a restart: its end is measured from the clock as it reads now
      downOffset: down ? this.wallClock.currentOffset : null,
      streakOffset: this.wallClock.currentOffset,
      held: false,
    });
  }

  /**
   * A changed target keeps its state; only its settings change. A new one starts from `latest`,
   * its last committed transition (an id removed while up is still up in the ledger).
   */
  update(target: Target, latest: StoredTransition | null = null): void {
    this.attribution.invalidate();
    const runtime = this.targets.get(target.id);
    if (runtime) runtime.target = target;
    else this.restore(target, latest);
  }

  /** Forgets a target; an open outage ends with reason `removed`. */
  remove(targetId: string): void {
    const runtime = this.targets.get(targetId);
    if (!runtime) return;
    this.targets.delete(targetId);
    this.publishHolds([this.holds.release(targetId)]);
    if (runtime.health.state !== "down") return;
    const now = this.options.clock.now();
    const removal: Transition = {
      targetId,
      from: "down",
      to: "unknown",
      at: now,
      detectedAt: now,
      previousProbeAt: lastFailedAt(runtime.health),
      reason: "removed",
      detail: "target removed from the configuration",
    };
    this.enqueue(runtime, removal, runtime.health.since);
  }

  target(targetId: string): Target | undefined {
    return this.targets.get(targetId)?.target;
  }

  committedState(targetId: string): CommittedState | undefined {
    return this.targets.get(targetId)?.committed;
  }

  /** Upstreams whose verdict a down target's page waits for (empty: none). */
  pageWaitingOn(targetId: string): readonly string[] {
    return this.holds.waitingOn(targetId);
  }

  lastResult(targetId: string): ProbeResult | null {
    return this.targets.get(targetId)?.lastResult ?? null;
  }

  targetIds(): IterableIterator<string> {
    return this.targets.keys();
  }

  /** The scheduler's entry point: probe once, decide, and queue any transition for commit. */
  async probe(targetId: string): Promise<void> {
    const runtime = this.targets.get(targetId);
    if (!runtime) return;
    const target = runtime.target;
    const { clock } = this.options;
    // the wall clock's offset as the probe starts: its startedAt is read on this base
    const startOffset = clock.now() - clock.monotonic();
    const result = await this.options.runProbe(target, this.shutdown.signal);
    // The target may have been removed or replaced by a reload while the probe ran.
    if (this.targets.get(targetId) !== runtime) return;
    this.observe(runtime, result, startOffset);
  }

  /**
   * Applies a probe result (exposed for tests and the simulator-driven benchmarks).
   * `startOffset`: wall − monotonic when the probe started (default: as the clock reads now).
   */
  observe(runtime: TargetRuntime | string, result: ProbeResult, startOffset?: number): void {
    const rt = typeof runtime === "string" ? this.targets.get(runtime) : runtime;
    if (!rt) return;
    const jump = this.wallClock.check();
    if (jump) for (const s of this.subscribers) s.clockJumped?.(jump);
    rt.lastResult = result;
    for (const s of this.subscribers) s.probeCompleted?.(rt.target, result);
    this.observeMaintenance(rt, result.startedAt);
    this.observeBlindness(rt.target.id, result);
    if (this.blindness.ignores(result)) return;
    const ownOffset = startOffset ?? this.wallClock.currentOffset;
    const offset = this.recordedOffset(rt, ownOffset);
    const startedAt = result.startedAt - ownOffset + offset;
    const observation = startedAt === result.startedAt ? result : { ...result, startedAt };
    const now = this.options.clock.now();
    const { health, transition } = decide(rt.health, observation, rt.target, now, rt.target.id);
    if (transition && this.queueFull) {
      this.hold(rt, observation, offset, transition);
      return;
    }
    const streakStartedBefore = rt.health.streak?.startedAt === transition?.at;
    if (health.streak?.count === 1) rt.streakOffset = offset;
    const outageStart = rt.health.state === "down" ? rt.health.since : null;
    rt.health = health;
    // a put-off decision that is not confirmed again is over; the next one is counted anew
    rt.held = false;
    // seen healthy since a dependant failed clears it as a cause; failing keeps it pending
    if (this.holds.size > 0) this.reviewHolds(this.holds.heldOn(rt.target.id));
    if (!transition) {
      // still failing after its upstream came back: its outage is its own from then
      const due = this.writer && observation.result === "failed";
      if (due && this.attribution.releaseDue(rt.target.id, startedAt)) {
        this.attributionDue = true;
        this.scheduleCommit();
      }
      return;
    }
    const at = this.enqueue(rt, transition, outageStart);
    // the →down's recorded start and its monotonic time fix the base its end is measured on
    const atOffset = streakStartedBefore ? rt.streakOffset : offset;
    rt.downOffset = transition.to === "down" ? at - transition.at + atOffset : null;
  }

  /**
   * The wall offset a probe's start is recorded with: its own, except while down after the
   * wall clock stepped, where the outage's base keeps its duration what was really measured.
   */
  private recordedOffset(rt: TargetRuntime, startOffset: number): number {
    const base = rt.health.state === "down" ? rt.downOffset : null;
    if (base === null || Math.abs(startOffset - base) <= WALL_CLOCK_JUMP_MS) return startOffset;
    return base;
  }

  private get queueFull(): boolean {
    return this.pendingCount >= this.maxPending;
  }

  /**
   * The queue is full: the transition is not queued, and the target stays in its last queued
   * state with the streak that decided it kept whole, so the next probe that confirms it
   * decides it again with its true start (a flap that ends meanwhile is never recorded).
   * Every target's chain stays consistent; nothing decided-but-dropped is ever published.
   */
  private hold(
    rt: TargetRuntime,
    observation: ProbeResult,
    offset: number,
    transition: Transition,
  ): void {
    const held = decide(rt.health, observation, NEVER, transition.detectedAt, rt.target.id);
    // leaving unknown needs one probe whatever the thresholds: nothing to keep then
    if (!held.transition) {
      if (held.health.streak?.count === 1) rt.streakOffset = offset;
      rt.health = held.health;
    }
    if (rt.held) return;
    rt.held = true;
    this.droppedCount++;
    for (const s of this.subscribers) s.transitionDropped?.(transition);
  }

  private observeMaintenance(rt: TargetRuntime, at: number): void {
    const inMaintenance =
      this.maintenance.length > 0 && activeMaintenance(this.maintenance, rt.target, at) !== null;
    if (inMaintenance === rt.inMaintenance) return;
    rt.inMaintenance = inMaintenance;
    for (const s of this.subscribers) s.maintenanceChanged?.(rt.target, inMaintenance);
  }

  inMaintenance(targetId: string): boolean {
    return this.targets.get(targetId)?.inMaintenance ?? false;
  }

  /** Blind time is a gap in the ledger: opened when every canary fails, closed when one answers. */
  private observeBlindness(targetId: string, result: ProbeResult): void {
    const change = this.blindness.observe(targetId, result);
    if (!change) return;
    // the leader records the group's blind time; a standby only shows it
    if (this.writer) this.recordBlindGap(change.change === "entered", change.at);
    for (const s of this.subscribers) s.blindChanged?.(change.change === "entered", change.at);
  }

  private recordBlindGap(entered: boolean, at: number): void {
    const { ledger, instance } = this.options;
    if (entered) {
      const gap = { instance, kind: "blind" as const, start: at, end: null };
      this.blindGap = ledger.openGap(gap).catch(() => null);
      return;
    }
    const opened = this.blindGap;
    this.blindGap = null;
    void opened
      ?.then((id) => (id === null ? undefined : ledger.closeGap(id, at)))
      .catch(() => undefined);
  }

  /** Stops a subscriber reading (an HA leader's Alertmanager pushes, when it demotes). */
  unsubscribe(subscriber: EngineSubscriber): void {
    const index = this.subscribers.indexOf(subscriber);
    if (index >= 0) this.subscribers.splice(index, 1);
  }

  /** Whether this engine writes to the ledger (false on an HA standby). */
  get writes(): boolean {
    return this.writer;
  }

  /**
   * HA standby: keep probing and deciding (the state machine stays warm) but write nothing;
   * what was decided and not committed is dropped (the leader writes its own).
   */
  standby(): void {
    this.writer = false;
    this.pending = [];
    if (this.retryTimer) this.options.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    // the leader pages; a standby holds nothing
    this.publishHolds(this.holds.clear());
    for (const s of this.subscribers) s.queueLengthChanged?.(this.pendingCount);
  }

  /**
   * HA standby: the committed view (state, since, blocked_by) as the ledger holds it, so
   * metrics and the API show the group's committed facts. Transitions the leader committed
   * since the last refresh are published to subscribers as committed.
   */
  adoptCommitted(
    latest: readonly StoredTransition[],
    blockedBy: ReadonlyMap<string, string | null>,
  ): void {
    const committed: CommittedTransition[] = [];
    const changes: AttributionChange[] = [];
    const byTarget = new Map(latest.map((t) => [t.targetId, t]));
    for (const [id, runtime] of this.targets) {
      const transition = byTarget.get(id);
      const before = runtime.committed;
      // committed by the leader since the last refresh
      const fresh = transition !== undefined && transition.id !== before.transition?.id;
      if (fresh) {
        const outageStart =
          transition.from === "down" && before.state === "down" ? before.since : null;
        committed.push({ ...transition, outageStart, waitingOn: [] });
      }
      const state = transition?.to ?? before.state;
      const blocked = state === "down" ? (blockedBy.get(id) ?? null) : null;
      if (state === "down") this.attribution.restore(id, blocked);
      if (fresh) {
        runtime.committed = { state, since: transition.at, transition, blockedBy: blocked };
      } else if (state === "down" && blocked !== before.blockedBy) {
        runtime.committed = { ...before, blockedBy: blocked };
        changes.push({ targetId: id, at: this.options.clock.now(), blockedBy: blocked });
      }
    }
    if (committed.length > 0) for (const s of this.subscribers) s.transitionsCommitted?.(committed);
    if (changes.length > 0) for (const s of this.subscribers) s.attributionsCommitted?.(changes);
  }

  /**
   * HA takeover, after `adoptCommitted` with the ledger as the new leader found it: writes
   * again, and for each target whose warm state differs from the committed one, commits the
   * move from the committed state to the warm one at the start of the standby's own streak
   * (never before the committed `at`). Same state: nothing is written (no duplicate).
   */
  takeOver(): void {
    this.writer = true;
    const now = this.options.clock.now();
    for (const runtime of this.targets.values()) {
      const { committed, health } = runtime;
      if (health.state === committed.state) {
        // the committed `at` is the fact: an outage the old leader opened ends from its start
        runtime.health = { ...health, since: committed.since };
        runtime.lastAt = Math.max(runtime.lastAt, committed.since ?? Number.NEGATIVE_INFINITY);
        continue;
      }
      // unknown: no verdict of its own yet, nothing to say against the committed state
      if (health.state === "unknown") continue;
      const warm = this.warmTransitions.get(runtime.target.id);
      const since = committed.since ?? Number.NEGATIVE_INFINITY;
      const at = Math.max(health.since ?? now, since);
      runtime.lastAt = Math.max(runtime.lastAt, since);
      const transition: Transition = {
        targetId: runtime.target.id,
        from: committed.state,
        to: health.state,
        at,
        detectedAt: Math.max(warm?.detectedAt ?? now, at),
        previousProbeAt: warm?.to === health.state ? warm.previousProbeAt : null,
        reason: warm?.to === health.state ? warm.reason : null,
        detail: warm?.to === health.state ? warm.detail : null,
      };
      this.enqueue(runtime, transition, committed.state === "down" ? committed.since : null);
    }
    this.warmTransitions.clear();
  }

  /** Resolves when everything decided so far is committed (or the ledger keeps failing). */
  async flush(): Promise<void> {
    while (this.committing || this.pending.length > 0 || this.attributionDue) {
      if (this.committing) await this.committing;
      else await this.commitPending();
      if (this.retryTimer) return;
    }
  }

  /** Aborts probes in flight (they end as failed/aborted and are not decided on). */
  abortProbes(): void {
    this.shutdown.abort();
  }

  /** Decided and not yet committed: the queue plus the batch being written. */
  get pendingCount(): number {
    return this.pending.length + this.committingCount;
  }

  /**
   * `outageStart`: for a transition out of down, the start of the outage it ends. Returns the
   * `at` queued (never before the target's previous transition).
   */
  private enqueue(
    runtime: TargetRuntime,
    transition: Transition,
    outageStart: number | null,
  ): number {
    const target = runtime.target;
    const at = Math.max(transition.at, runtime.lastAt);
    runtime.lastAt = at;
    if (!this.writer) {
      this.warmTransitions.set(target.id, { ...transition, at });
      return at;
    }
    const entry: NewTransition = {
      ...transition,
      at,
      detectedAt: Math.max(transition.detectedAt, at),
      // a bound is never after the time it bounds (`at` may have been moved up to keep order)
      previousProbeAt:
        transition.previousProbeAt === null ? null : Math.min(transition.previousProbeAt, at),
      service: target.service,
      site: target.site,
      // attributed for the whole batch at commit time
      blockedBy: null,
      maintenance: this.maintenanceOf(target, transition.from === "down" ? outageStart : null, at),
    };
    if (transition.from === "down" && outageStart !== null)
      this.outageStarts.set(entry, outageStart);
    this.pending.push(entry);
    for (const s of this.subscribers) s.queueLengthChanged?.(this.pendingCount);
    if (this.pending.length >= MAX_BATCH && !this.committing && !this.retryTimer) {
      void this.commitPending();
      return at;
    }
    this.scheduleCommit();
    return at;
  }

  private scheduleCommit(): void {
    if (!this.writer || this.flushQueued || this.committing || this.retryTimer) return;
    this.flushQueued = true;
    const commit = () => {
      this.flushQueued = false;
      void this.commitPending();
    };
    const windowMs = this.options.batchWindowMs ?? 0;
    // Let every result of this turn of the event loop (or of the window) join the batch.
    if (windowMs > 0) this.options.timers.setTimeout(commit, windowMs);
    else setImmediate(commit);
  }

  /**
   * →down: whether `at` is inside a window; out of down: whether the outage [since, at)
   * overlapped one (what the outage record keeps).
   */
  private maintenanceOf(target: Target, outageStart: number | null, at: number): boolean {
    if (this.maintenance.length === 0) return false;
    if (outageStart === null) return activeMaintenance(this.maintenance, target, at) !== null;
    return maintenanceIntervals(this.maintenance, target, outageStart, at).length > 0;
  }

  private *attributionSubjects(): Generator<AttributionSubject> {
    for (const [id, rt] of this.targets) {
      const down = rt.health.state === "down";
      yield {
        id,
        dependsOn: rt.target.dependsOn,
        state: rt.health.state,
        downSince: down ? rt.health.since : null,
        lastOkAt: lastOkAt(rt.health),
        lastFailedAt: down ? lastFailedAt(rt.health) : null,
      };
    }
  }

  private commitPending(): Promise<void> {
    const nothing = this.pending.length === 0 && !this.attributionDue;
    if (this.committing || nothing) return this.committing ?? Promise.resolve();
    // A backlog (the ledger was unwritable) drains in chunks: SQLite commits synchronously, and
    // 100,000 transitions in one transaction would stall probing and HTTP for seconds.
    const backlog = this.pending.length > MAX_BATCH;
    const batch = backlog ? this.pending.splice(0, BACKLOG_CHUNK) : this.pending;
    if (!backlog) this.pending = [];
    this.committingCount = batch.length;
    const attributed = this.attribution.attribute(
      this.attributionSubjects(),
      batch,
      this.options.clock.now(),
      this.attributionDue,
    );
    this.attributionDue = false;
    const { changes } = attributed;
    const began = this.options.clock.monotonic();
    const finished = (result: "ok" | "error") => {
      const ms = this.options.clock.monotonic() - began;
      for (const s of this.subscribers) s.commitFinished?.(result, ms, batch.length);
    };
    this.committing = this.options.ledger
      .commit(this.options.runId, batch, changes)
      .then(
        (stored) => {
          this.committingCount = 0;
          finished("ok");
          this.retryDelayMs = this.options.commitRetryMs ?? DEFAULT_RETRY_MS;
          this.attribution.committedBatch(attributed);
          this.publish(stored, batch, changes);
          this.ledgerWriteSucceeded("commit");
        },
        (error: unknown) => {
          this.committingCount = 0;
          finished("error");
          if (isRefusal(error)) {
            // the ledger answered: it is writable, the batch was wrong
            this.ledgerWriteSucceeded("commit");
            return this.dropRefused(batch, error);
          }
          // Keep order: the failed batch goes back in front of what arrived meanwhile.
          this.pending = batch.concat(this.pending);
          // its attribution changes are worked out again with the retry
          if (changes.length > 0) this.attributionDue = true;
          for (const s of this.subscribers) s.commitFailed?.(error, this.pending.length);
          this.ledgerWriteFailed("commit", error);
          this.scheduleRetry();
        },
      )
      .finally(() => {
        this.committing = null;
        for (const s of this.subscribers) s.queueLengthChanged?.(this.pendingCount);
        if (this.pending.length === 0 || this.retryTimer) return;
        // between chunks of a backlog, let probes and requests run
        if (backlog) setImmediate(() => void this.commitPending());
        else void this.commitPending();
      });
    return this.committing;
  }

  /**
   * A refused batch would be refused forever and block every later commit. Drop it, drop
   * what was decided on top of it, and rewind those targets to their committed state.
   */
  private dropRefused(batch: readonly NewTransition[], error: unknown): void {
    const affected = new Set(batch.map((t) => t.targetId));
    const dropped = [...batch, ...this.pending.filter((t) => affected.has(t.targetId))];
    this.pending = this.pending.filter((t) => !affected.has(t.targetId));
    for (const id of affected) {
      const runtime = this.targets.get(id);
      if (!runtime) continue;
      const { state, since, transition } = runtime.committed;
      runtime.health = restoreHealth(state, since, transition?.previousProbeAt ?? null);
      runtime.lastAt = runtime.committed.since ?? Number.NEGATIVE_INFINITY;
      runtime.downOffset = runtime.committed.state === "down" ? this.wallClock.currentOffset : null;
    }
    for (const s of this.subscribers) s.commitRefused?.(error, dropped);
  }

  /** Backs off while the ledger keeps failing: a full disk is not hammered every second. */
  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = this.retryDelayMs;
    const max = this.options.commitRetryMaxMs ?? DEFAULT_RETRY_MAX_MS;
    this.retryDelayMs = Math.min(delay * 2, Math.max(max, delay));
    this.retryTimer = this.options.timers.setTimeout(() => {
      this.retryTimer = null;
      void this.commitPending();
    }, delay);
  }

  private publish(
    stored: readonly StoredTransition[],
    batch: readonly NewTransition[],
    changes: readonly AttributionChange[],
  ): void {
    // The ledger returns the batch in order: each stored row is its batch entry, with an id.
    const committed: CommittedTransition[] = stored.map((t, i) => {
      const entry = batch[i];
      return { ...t, outageStart: (entry && this.outageStarts.get(entry)) ?? null, waitingOn: [] };
    });
    for (const transition of committed) {
      const runtime = this.targets.get(transition.targetId);
      if (!runtime) continue;
      const blockedBy = transition.to === "down" ? transition.blockedBy : null;
      runtime.committed = { state: transition.to, since: transition.at, transition, blockedBy };
    }
    for (const change of changes) {
      const runtime = this.targets.get(change.targetId);
      if (runtime) runtime.committed = { ...runtime.committed, blockedBy: change.blockedBy };
    }
    // what this commit settled first (a held target now blocked, or its upstream's →down
    // committed), then the holds of the outages it opened
    const holdChanges = this.reviewedHolds(this.holds.heldTargets());
    for (const transition of committed) holdChanges.push(this.holdIfPending(transition));
    for (const s of this.subscribers) s.transitionsCommitted?.(committed);
    if (changes.length > 0) for (const s of this.subscribers) s.attributionsCommitted?.(changes);
    this.publishHolds(holdChanges);
  }

  // --- pages waiting for an upstream's verdict ------------------------------------------

  /**
   * A →down committed as its own outage while an upstream that may have caused it has no
   * verdict: its page waits, until the latest moment that upstream's verdict can come.
   */
  private holdIfPending(transition: CommittedTransition): PageHoldChange | null {
    if (transition.to !== "down" || transition.blockedBy !== null) return null;
    const { targetId, at } = transition;
    const pending = pendingUpstreams(targetId, at, this.upstreamView);
    if (pending.length === 0) return null;
    let deadline = at;
    for (const id of pending) {
      const upstream = this.targets.get(id)?.target;
      if (upstream) deadline = Math.max(deadline, verdictDeadline(upstream, at));
    }
    transition.waitingOn = pending;
    return this.holds.hold(targetId, pending, deadline + HOLD_SLACK_MS);
  }

  /**
   * Holds past their deadline go out, unless an upstream they wait on is already decided down
   * and only its commit is outstanding: that verdict is in, and will block them.
   */
  private expireHolds(): void {
    const now = this.options.clock.now();
    const released: (PageHoldChange | null)[] = [];
    for (const targetId of this.holds.expired(now)) {
      const decidedDown = this.holds
        .waitingOn(targetId)
        .some((id) => this.targets.get(id)?.health.state === "down");
      if (decidedDown) this.holds.extend(targetId, now + HOLD_SLACK_MS);
      else released.push(this.holds.release(targetId));
    }
    this.publishHolds(released);
    this.scheduleHoldDeadline();
  }

  private reviewHolds(targetIds: readonly string[]): void {
    if (targetIds.length > 0) this.publishHolds(this.reviewedHolds(targetIds));
  }

  /** Re-judges holds: released once blocked, no longer down, or with nothing left pending. */
  private reviewedHolds(targetIds: readonly string[]): (PageHoldChange | null)[] {
    return targetIds.map((targetId) => {
      const committed = this.targets.get(targetId)?.committed;
      if (committed?.state !== "down" || committed.blockedBy !== null || committed.since === null) {
        return this.holds.release(targetId);
      }
      return this.holds.update(
        targetId,
        pendingUpstreams(targetId, committed.since, this.upstreamView),
      );
    });
  }

  private publishHolds(changes: readonly (PageHoldChange | null)[]): void {
    const real = changes.filter((change): change is PageHoldChange => change !== null);
    if (real.length > 0) for (const s of this.subscribers) s.pageHoldsChanged?.(real);
    if (real.length > 0 || this.holds.size === 0) this.scheduleHoldDeadline();
  }

  /** One timer for every hold, due at the earliest deadline: then those pages go out. */
  private scheduleHoldDeadline(): void {
    const due = this.holds.nextDeadline();
    if (this.holdTimer?.due === due) return;
    if (this.holdTimer) this.options.timers.clearTimeout(this.holdTimer.handle);
    this.holdTimer = null;
    if (due === null) return;
    const delay = Math.max(0, due - this.options.clock.now());
    const handle = this.options.timers.setTimeout(() => {
      this.holdTimer = null;
      this.expireHolds();
    }, delay);
    handle.unref?.();
    this.holdTimer = { handle, due };
  }
}
