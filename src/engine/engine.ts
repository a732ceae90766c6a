import { setMaxListeners } from "node:events";
import type { MaintenanceWindow, Target } from "../config/types.js";
import { activeMaintenance, maintenanceIntervals } from "../health/maintenance.js";
import { lastFailedAt, lastOkAt } from "../health/state-machine.js";
import type { Transition } from "../health/types.js";
import type { NewTransition, StoredTransition } from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import { WallClockWatch } from "../time/wall-clock-watch.js";
import {
  type AttributionSubject,
  AttributionTracker,
  type BatchAttribution,
} from "./attribution-tracker.js";
import { BlindDetector } from "./blind.js";
import { CommitQueue } from "./commit-queue.js";
import type { EngineEvent, EngineListener } from "./events.js";
import type { LedgerOperation, LedgerTroubleStatus } from "./ledger-trouble.js";
import { PageHoldKeeper } from "./page-hold-keeper.js";
import { TargetRuntime } from "./target-runtime.js";
import type { CommittedState, CommittedTransition, EngineOptions, QueueState } from "./types.js";
import { WarmStandby } from "./warm-standby-port.js";

export { DEFAULT_MAX_PENDING } from "./commit-queue.js";
export type { EngineEvent, EngineListener, LedgerWrite } from "./events.js";
export type {
  CommittedState,
  CommittedTransition,
  EngineOptions,
  QueueState,
  RunProbe,
} from "./types.js";

/**
 * decide → commit → publish. Each probe result is folded into its target's chain (pure, in
 * health/); what it decides is queued for the ledger (commit-queue.ts); only what the ledger
 * accepted is published, as events, to metrics, the log, alerts and an HA member.
 */
export class Engine {
  private readonly targets = new Map<string, TargetRuntime>();
  private readonly listeners: EngineListener[] = [];
  private readonly queue: CommitQueue;
  private readonly attribution = new AttributionTracker();
  private readonly holds: PageHoldKeeper;
  private readonly blindness: BlindDetector;
  private readonly wallClock: WallClockWatch;
  private readonly shutdown = new AbortController();
  /** Start of the outage each queued transition out of `down` ends. */
  private readonly outageStarts = new WeakMap<NewTransition, number>();
  private maintenance: readonly MaintenanceWindow[];
  /** An HA member's writing and standing by (warm-standby-port.ts). */
  readonly ha: WarmStandby;

  constructor(private readonly options: EngineOptions) {
    // every probe in flight listens on the one shutdown signal
    setMaxListeners(0, this.shutdown.signal);
    const { clock, timers } = options;
    this.blindness = new BlindDetector(options.canaries ?? []);
    this.maintenance = options.maintenance ?? [];
    this.wallClock = new WallClockWatch(clock);
    this.queue = new CommitQueue({
      ledger: options.ledger,
      runId: options.runId,
      clock,
      timers,
      batchWindowMs: options.batchWindowMs,
      retryMs: options.commitRetryMs,
      retryMaxMs: options.commitRetryMaxMs,
      maxPending: options.maxPending,
      reportEveryMs: options.ledgerReportEveryMs,
      attribute: (batch, force) => this.attribute(batch, force),
      committed: (stored, batch, attributed) => this.publish(stored, batch, attributed),
      refused: (ids) => this.rewind(ids),
      gapWritten: (write) =>
        this.emit({
          kind: "blind",
          blind: "open" in write,
          at: "open" in write ? write.open.start : write.close,
        }),
      emit: (event) => this.emit(event),
    });
    this.holds = new PageHoldKeeper({
      clock,
      timers,
      view: {
        committed: (id) => this.targets.get(id)?.committed,
        upstream: (id) => {
          const rt = this.targets.get(id);
          if (rt === undefined) return undefined;
          const { dependsOn } = rt.target;
          return {
            id,
            dependsOn,
            downCommitted: rt.committed.state === "down",
            lastOkAt: lastOkAt(rt.health),
          };
        },
        target: (id) => this.targets.get(id)?.target,
        decidedDown: (id) => this.targets.get(id)?.health.state === "down",
      },
      expired: (changes) => this.emit({ kind: "holds", changes }),
    });
    this.ha = new WarmStandby({
      targets: this.targets,
      queue: this.queue,
      holds: this.holds,
      attribution: this.attribution,
      emit: (event) => this.emit(event),
      enqueue: (rt, transition, outageStart) => this.enqueue(rt, transition, outageStart),
    });
  }

  subscribe(listener: EngineListener): void {
    this.listeners.push(listener);
  }

  /** Stops a listener (an HA leader's Alertmanager pushes, when it demotes). */
  unsubscribe(listener: EngineListener): void {
    const index = this.listeners.indexOf(listener);
    if (index >= 0) this.listeners.splice(index, 1);
  }

  // --- targets --------------------------------------------------------------------------

  /**
   * Restores a target's state from its latest committed transition (after a restart);
   * `blockedBy` is its open outage's current attribution.
   */
  restore(target: Target, latest: StoredTransition | null, blockedBy: string | null = null): void {
    if (latest?.to === "down") this.attribution.restore(target.id, blockedBy);
    const runtime = new TargetRuntime(target, latest, blockedBy, this.wallClock.currentOffset);
    this.targets.set(target.id, runtime);
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
    const released = this.holds.release(targetId);
    if (released) this.emit({ kind: "holds", changes: [released] });
    if (runtime.health.state !== "down") return;
    const now = this.options.clock.now();
    const removal: Transition = {
      targetId,
      from: "down",
      to: "unknown",
      at: runtime.claimAt(now),
      detectedAt: now,
      previousProbeAt: lastFailedAt(runtime.health),
      reason: "removed",
      detail: "target removed from the configuration",
    };
    this.enqueue(runtime, removal, runtime.health.since);
  }

  /**
   * Ends the open outages of targets the ledger holds down and the configuration no longer has
   * (after a restart): `removed` now, like a removal by reload.
   */
  endOrphanOutages(latest: readonly StoredTransition[]): void {
    const now = this.options.clock.now();
    for (const t of latest) {
      if (t.to !== "down" || this.targets.has(t.targetId)) continue;
      const entry: NewTransition = {
        targetId: t.targetId,
        service: t.service,
        site: t.site,
        from: "down",
        to: "unknown",
        at: Math.max(now, t.at),
        detectedAt: Math.max(now, t.at),
        // no probe of it in this run: when it really stopped being down is not known
        previousProbeAt: null,
        reason: "removed",
        detail: "target no longer in the configuration",
        blockedBy: null,
        maintenance: false,
      };
      this.outageStarts.set(entry, t.at);
      this.queue.add(entry);
    }
  }

  target(targetId: string): Target | undefined {
    return this.targets.get(targetId)?.target;
  }

  targetIds(): IterableIterator<string> {
    return this.targets.keys();
  }

  committedState(targetId: string): CommittedState | undefined {
    return this.targets.get(targetId)?.committed;
  }

  lastResult(targetId: string): ProbeResult | null {
    return this.targets.get(targetId)?.lastResult ?? null;
  }

  inMaintenance(targetId: string): boolean {
    return this.targets.get(targetId)?.inMaintenance ?? false;
  }

  /** Upstreams whose verdict a down target's page waits for (empty: none). */
  pageWaitingOn(targetId: string): readonly string[] {
    return this.holds.waitingOn(targetId);
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
    if (policy.maxPending !== undefined) this.queue.setMaxPending(policy.maxPending);
  }

  // --- probing and deciding -------------------------------------------------------------

  /** The scheduler's entry point: probe once, decide, and queue any transition for commit. */
  async probe(targetId: string): Promise<void> {
    const runtime = this.targets.get(targetId);
    if (!runtime) return;
    const { clock } = this.options;
    // the wall clock's offset as the probe starts: its startedAt is read on this base
    const startOffset = clock.now() - clock.monotonic();
    const result = await this.options.runProbe(runtime.target, this.shutdown.signal);
    // the target may have been removed or replaced by a reload while the probe ran
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
    if (jump) this.emit({ kind: "clock-jump", jump });
    rt.lastResult = result;
    this.emit({ kind: "probed", target: rt.target, result });
    this.observeMaintenance(rt, result.startedAt);
    this.observeBlindness(rt.target.id, result);
    if (this.blindness.ignores(result)) return;
    const ownOffset = startOffset ?? this.wallClock.currentOffset;
    const judged = rt.judge(result, ownOffset, this.options.clock.now(), this.queue.full);
    if (judged.kind === "put-off") {
      if (judged.first) this.queue.putOff(judged.transition);
      return;
    }
    const settled = this.holds.afterProbe(rt.target.id);
    if (settled.length > 0) this.emit({ kind: "holds", changes: settled });
    if (judged.kind === "decided") {
      this.enqueue(rt, judged.transition, judged.outageStart);
    } else if (
      judged.failed &&
      this.writes &&
      this.attribution.releaseDue(rt.target.id, judged.startedAt)
    ) {
      // still failing after its upstream came back: its outage is its own from then
      this.queue.attributeSoon();
    }
  }

  private observeMaintenance(rt: TargetRuntime, at: number): void {
    const inMaintenance =
      this.maintenance.length > 0 && activeMaintenance(this.maintenance, rt.target, at) !== null;
    if (inMaintenance === rt.inMaintenance) return;
    rt.inMaintenance = inMaintenance;
    this.emit({ kind: "maintenance", target: rt.target, inMaintenance });
  }

  /**
   * Blind time is a gap in the ledger: opened when every canary fails, closed when one
   * answers; the change is published once its gap is written. A standby only shows it.
   */
  private observeBlindness(targetId: string, result: ProbeResult): void {
    const change = this.blindness.observe(targetId, result);
    if (!change) return;
    const entered = change.change === "entered";
    if (!this.writes) {
      this.emit({ kind: "blind", blind: entered, at: change.at });
      return;
    }
    const gap = {
      instance: this.options.instance,
      kind: "blind" as const,
      start: change.at,
      end: null,
    };
    this.queue.addGap(entered ? { open: gap } : { close: change.at });
  }

  /** Why the monitor is blind, or null. */
  get blind(): { since: number; canaries: string[] } | null {
    const since = this.blindness.since;
    return since === null ? null : { since, canaries: this.blindness.canaries };
  }

  /** Aborts probes in flight (they end as failed/aborted and are not decided on). */
  abortProbes(): void {
    this.shutdown.abort();
  }

  // --- committing -----------------------------------------------------------------------

  /** Whether this engine writes to the ledger (false on an HA standby). */
  get writes(): boolean {
    return this.ha.writes;
  }

  /** Decided and not yet committed: the queue plus the batch being written. */
  get pendingCount(): number {
    return this.queue.length;
  }

  get queueState(): QueueState {
    return this.queue.state;
  }

  /** Why the ledger cannot be written now, or null. */
  get ledgerTrouble(): (LedgerTroubleStatus & { pending: number }) | null {
    const status = this.queue.troubleStatus;
    return status && { ...status, pending: this.queue.length };
  }

  /** Outcome of a ledger write made outside the engine (the run's heartbeat). */
  ledgerWriteFailed(operation: LedgerOperation, error: unknown): void {
    this.queue.writeFailed(operation, error);
  }

  ledgerWriteSucceeded(operation: LedgerOperation): void {
    this.queue.writeSucceeded(operation);
  }

  /** Resolves when everything decided so far is committed (or the ledger keeps failing). */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** `outageStart`: for a transition out of down, the start of the outage it ends. */
  private enqueue(rt: TargetRuntime, transition: Transition, outageStart: number | null): void {
    if (!this.writes) {
      this.ha.decidedWarm(transition);
      return;
    }
    const { at } = transition;
    const { target } = rt;
    const entry: NewTransition = {
      ...transition,
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
    this.queue.add(entry);
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

  private attribute(batch: NewTransition[], force: boolean): BatchAttribution {
    const now = this.options.clock.now();
    return this.attribution.attribute(this.attributionSubjects(), batch, now, force);
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

  /** The ledger accepted a batch: it becomes the committed view, and then the world sees it. */
  private publish(
    stored: readonly StoredTransition[],
    batch: readonly NewTransition[],
    attributed: BatchAttribution,
  ): void {
    this.attribution.committedBatch(attributed);
    // the ledger returns the batch in order: each stored row is its batch entry, with an id
    const transitions: CommittedTransition[] = stored.map((t, i) => {
      const entry = batch[i];
      return { ...t, outageStart: (entry && this.outageStarts.get(entry)) ?? null, waitingOn: [] };
    });
    for (const transition of transitions) {
      const runtime = this.targets.get(transition.targetId);
      if (!runtime) continue;
      const blockedBy = transition.to === "down" ? transition.blockedBy : null;
      runtime.committed = { state: transition.to, since: transition.at, transition, blockedBy };
    }
    const { changes: attributions } = attributed;
    for (const change of attributions) {
      const runtime = this.targets.get(change.targetId);
      if (runtime) runtime.committed = { ...runtime.committed, blockedBy: change.blockedBy };
    }
    const holds = this.holds.afterCommit(transitions);
    this.emit({ kind: "committed", transitions, attributions, holds });
  }

  /** A refused batch dropped what was decided on top of it: those targets rewind. */
  private rewind(targetIds: ReadonlySet<string>): void {
    for (const id of targetIds) this.targets.get(id)?.rewind(this.wallClock.currentOffset);
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
