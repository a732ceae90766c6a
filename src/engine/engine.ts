import { setMaxListeners } from "node:events";
import type { MaintenanceWindow, Target } from "../config/types.js";
import { pendingUpstreams } from "../health/attribution.js";
import type { Transition } from "../health/types.js";
import type { NewTransition, StoredTransition } from "../ledger/ledger.js";
import type { JournalRecord } from "../ledger/recovery-journal.js";
import type { ProbeResult } from "../probe/types.js";
import { WallClockWatch } from "../time/wall-clock-watch.js";
import { AttributionTracker, type BatchAttribution } from "./attribution-tracker.js";
import { CommitQueue } from "./commit-queue.js";
import type { EngineEvent, EngineListener } from "./events.js";
import { RunHeartbeat } from "./heartbeat.js";
import type { LedgerTroubleStatus } from "./ledger-trouble.js";
import { blindOf, Overlays } from "./overlays.js";
import { PageHoldKeeper } from "./page-hold-keeper.js";
import { PushRecorder } from "./push-recorder.js";
import { PushWatch } from "./push-watch.js";
import { RecordedOffsets } from "./recorded-offsets.js";
import { TargetRuntime } from "./target-runtime.js";
import type { CommittedState, CommittedTransition, EngineOptions, QueueState } from "./types.js";
import { WarmStandby } from "./warm-standby-port.js";

export { DEFAULT_MAX_PENDING } from "./commit-queue.js";
export type { EngineEvent, EngineListener, LedgerWrite } from "./events.js";
export type { CommittedState, CommittedTransition, EngineOptions, QueueState } from "./types.js";
export { endedOutageMs } from "./types.js";

/**
 * decide → commit → publish. Each probe result is folded into its target's chain (pure, in
 * health/); what it decides is queued for the ledger (commit-queue.ts); only what the ledger
 * accepted is published, as events (events.ts), to metrics, the log, alerts and an HA member.
 */
export class Engine {
  private readonly targets = new Map<string, TargetRuntime>();
  private readonly listeners: EngineListener[] = [];
  private readonly queue: CommitQueue;
  private readonly attribution = new AttributionTracker();
  private readonly holds: PageHoldKeeper;
  private readonly overlays: Overlays;
  private readonly wallClock: WallClockWatch;
  private readonly shutdown = new AbortController();
  private readonly pushRecorder: PushRecorder;
  /** The wall base each queued transition was recorded on, until it is published. */
  private readonly recorded = new RecordedOffsets();
  /** Down targets whose outage was committed with its page held and not settled since. */
  private readonly unsettled = new Set<string>();
  /** An HA member's writing and standing by (warm-standby-port.ts). */
  readonly ha: WarmStandby;
  /** Push targets: their pushes and missed deadlines, observed like probe results. */
  readonly push: PushWatch;

  constructor(private readonly options: EngineOptions) {
    // every probe in flight listens on the one shutdown signal
    setMaxListeners(0, this.shutdown.signal);
    const { clock, timers } = options;
    const emit = (event: EngineEvent) => this.emit(event);
    this.overlays = new Overlays(options.maintenance ?? [], options.canaries ?? []);
    this.wallClock = new WallClockWatch(clock);
    this.queue = new CommitQueue({
      ...options,
      retryMs: options.commitRetryMs,
      retryMaxMs: options.commitRetryMaxMs,
      reportEveryMs: options.ledgerReportEveryMs,
      attribute: (batch, force) => this.attribute(batch, force),
      committed: (transitions, attributed) => this.publish(transitions, attributed),
      refused: (ids) => {
        for (const id of ids) {
          this.recorded.forget(id);
          this.targets.get(id)?.rewind(this.wallClock.currentOffset);
        }
      },
      gapWritten: (gap) => emit({ kind: "blind", ...blindOf(gap) }),
      emit,
    });
    this.holds = new PageHoldKeeper({
      clock,
      timers,
      runtime: (id) => this.targets.get(id),
      expired: (changes) => emit({ kind: "holds", changes }),
    });
    const { ledger, runId } = options;
    const recorder = new PushRecorder({ ledger, runId, timers, outcomes: this.queue });
    this.pushRecorder = recorder;
    this.push = new PushWatch({
      clock,
      timers,
      recorder,
      observe: (id, result, startOffset) => this.observe(id, result, startOffset),
      since: (id) => this.targets.get(id)?.health.since ?? null,
      emit,
    });
    const { targets, queue, holds, attribution } = this;
    const enqueue = this.enqueue.bind(this);
    this.ha = new WarmStandby({ targets, queue, holds, attribution, emit, enqueue });
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
    this.push.unwatch(targetId);
    this.targets.delete(targetId);
    const released = this.holds.release(targetId);
    if (released) this.emit({ kind: "holds", changes: [released] });
    const { clock } = this.options;
    const now = clock.now();
    const removal = runtime.removal(now, now - clock.monotonic());
    if (removal) {
      this.enqueue(runtime, removal.transition, runtime.health.since, removal.wallOffset);
    }
  }

  /**
   * Ends the open outages of targets the ledger holds down and the configuration no longer has
   * (found at start or by a new leader): `removed` now, as a removal by reload.
   */
  endOrphanOutages(latest: readonly StoredTransition[]): void {
    if (!this.writes) return;
    const now = this.options.clock.now();
    for (const t of latest) {
      if (t.to !== "down" || this.targets.has(t.targetId)) continue;
      const subject = { id: t.targetId, service: t.service, site: t.site };
      const queued = this.overlays.queued(subject, TargetRuntime.orphanRemoval(t, now), null);
      // its windows are gone with it from the configuration
      this.queue.add({ ...queued, maintenance: false }, t.at);
    }
  }

  target(targetId: string): Target | undefined {
    return this.targets.get(targetId)?.target;
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

  /** Why the monitor is blind, or null. */
  get blind(): { since: number; canaries: string[] } | null {
    return this.overlays.blind;
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
    this.overlays.setPolicy(policy.canaries, policy.maintenance);
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
    const inMaintenance = this.overlays.maintenanceChange(rt, result.startedAt);
    if (inMaintenance !== null)
      this.emit({ kind: "maintenance", target: rt.target, inMaintenance });
    this.observeBlindness(rt.target.id, result);
    if (this.overlays.ignores(result)) return;
    const ownOffset = startOffset ?? this.wallClock.currentOffset;
    const judged = rt.judge(result, ownOffset, this.options.clock.now(), this.queue.full);
    if (judged.kind === "put-off") {
      if (judged.first) this.queue.putOff(judged.transition);
      return;
    }
    const settled = this.holds.afterProbe(rt.target.id);
    if (settled.length > 0) this.emit({ kind: "holds", changes: settled });
    if (judged.kind === "decided") {
      this.enqueue(rt, judged.transition, judged.outageStart, judged.wallOffset);
      return;
    }
    // still failing after its upstream came back: its outage is its own from then
    const failing = judged.failed && this.writes;
    if (failing && this.attribution.releaseDue(rt.target.id, judged.startedAt)) {
      this.queue.attributeSoon();
    }
  }

  /**
   * Blind time is a gap in the ledger: opened when every canary fails, closed when one
   * answers; the change is published once its gap is written. A standby only shows it.
   */
  private observeBlindness(targetId: string, result: ProbeResult): void {
    const change = this.overlays.blindChange(targetId, result, this.options.instance);
    if (change === null) return;
    if (this.writes) this.queue.addGap(change.gap);
    else this.emit({ kind: "blind", blind: change.blind, at: change.at });
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

  /** The run's heartbeat, reported as ledger trouble like a commit (started by the daemon). */
  heartbeat(everyMs: number): RunHeartbeat {
    const { ledger, runId, clock, timers } = this.options;
    return new RunHeartbeat({ ledger, runId, clock, timers, everyMs, outcomes: this.queue });
  }

  /**
   * Resolves when everything decided so far is committed, and every push received is recorded
   * (or the ledger keeps failing).
   */
  async flush(): Promise<void> {
    await Promise.all([this.queue.flush(), this.pushRecorder.flush()]);
  }

  /** Commits what is queued, retrying a failing ledger for at most `withinMs`: true when done. */
  drain(withinMs: number): Promise<boolean> {
    return this.queue.drain(withinMs);
  }

  /** Ends committing: what is still queued, for the recovery journal (the daemon stops). */
  takeUncommitted(): Promise<JournalRecord[]> {
    this.pushRecorder.stop();
    return this.queue.takeUncommitted();
  }

  /**
   * `outageStart`: for a transition out of down, the recorded start of the outage it ends;
   * `wallOffset`: wall − monotonic of the base its `at` was recorded on, when decided here.
   */
  private enqueue(
    rt: TargetRuntime,
    transition: Transition,
    outageStart: number | null,
    wallOffset?: number,
  ): void {
    if (!this.writes) {
      this.ha.decidedWarm(transition);
      return;
    }
    if (wallOffset !== undefined) {
      this.recorded.note(transition.targetId, transition.to, transition.at, wallOffset);
    }
    this.queue.add(this.overlays.queued(rt.target, transition, outageStart), outageStart);
  }

  private attribute(batch: NewTransition[], force: boolean): BatchAttribution {
    const subjects = [...this.targets.values()].map((rt) => rt.subject());
    const attributed = this.attribution.attribute(subjects, batch, this.options.clock.now(), force);
    // an own outage whose upstream has no verdict yet opens with its page unsettled: the
    // ledger says so (a quorum's decider reads it) until the hold is released
    const upstreams = { get: (id: string) => this.targets.get(id)?.upstreamVerdict() };
    for (const t of batch) {
      if (t.to !== "down" || t.blockedBy !== null) continue;
      t.pageHeld = pendingUpstreams(t.targetId, t.at, upstreams).length > 0;
    }
    return attributed;
  }

  /**
   * Records when held pages stop waiting: a hold released (the upstream's verdict is in, or its
   * bound passed), or an outage committed as held that the commit already settled.
   */
  private settlePages(event: EngineEvent): void {
    if (event.kind !== "committed" && event.kind !== "holds") return;
    const now = this.options.clock.now();
    const settle = (targetId: string) => {
      if (this.unsettled.delete(targetId)) this.queue.settle({ targetId, at: now });
    };
    if (event.kind === "committed") {
      for (const t of event.transitions) {
        if (t.to === "down" && t.pageHeld === true) this.unsettled.add(t.targetId);
        else if (t.from === "down") this.unsettled.delete(t.targetId);
      }
      for (const t of event.transitions) {
        if (this.holds.waitingOn(t.targetId).length === 0) settle(t.targetId);
      }
    }
    for (const change of event.kind === "committed" ? event.holds : event.changes) {
      if (change.waitingOn.length === 0) settle(change.targetId);
    }
  }

  /** The ledger accepted a batch: it becomes the committed view, and then the world sees it. */
  private publish(transitions: CommittedTransition[], attributed: BatchAttribution): void {
    this.attribution.committedBatch(attributed);
    for (const t of transitions) {
      const wallOffset = this.recorded.take(t);
      if (wallOffset !== undefined) t.wallOffset = wallOffset;
      this.targets.get(t.targetId)?.committedTo(t);
    }
    const { changes: attributions } = attributed;
    for (const c of attributions) this.targets.get(c.targetId)?.reattributed(c.blockedBy);
    const holds = this.holds.afterCommit(transitions);
    this.emit({ kind: "committed", transitions, attributions, holds });
  }

  private emit(event: EngineEvent): void {
    if (this.writes) this.settlePages(event);
    for (const listener of this.listeners) listener(event);
  }
}
