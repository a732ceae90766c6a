import { setMaxListeners } from "node:events";
import type { MaintenanceWindow, Target } from "../config/types.js";
import { activeMaintenance, maintenanceIntervals } from "../health/maintenance.js";
import { decide, type HealthState, initialHealth, restoreHealth } from "../health/state-machine.js";
import type { TargetState, Transition } from "../health/types.js";
import { isLedgerError } from "../ledger/errors.js";
import type {
  AttributionChange,
  Ledger,
  NewTransition,
  StoredTransition,
} from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import type { Clock, Timers } from "../time/clock.js";
import { AttributionTracker } from "./attribution.js";
import { BlindDetector } from "./blind.js";

/** Inconsistent input the ledger will never accept, unlike I/O errors worth retrying. */
function isRefusal(error: unknown): boolean {
  return (
    isLedgerError(error, "LEDGER_TRANSITION_CHAIN") ||
    isLedgerError(error, "LEDGER_TRANSITION_ORDER") ||
    isLedgerError(error, "LEDGER_INVALID")
  );
}

/** Runs one probe of a target; never rejects (a failure is a result). */
export type RunProbe = (target: Target, signal: AbortSignal) => Promise<ProbeResult>;

/** A committed transition, with the start of the outage it ends (out of `down` only). */
export interface CommittedTransition extends StoredTransition {
  outageStart: number | null;
}

/** Readers of what happened. Only committed transitions reach `transitionsCommitted`. */
export interface EngineSubscriber {
  probeCompleted?(target: Target, result: ProbeResult): void;
  transitionsCommitted?(transitions: readonly CommittedTransition[]): void;
  commitFailed?(error: unknown, pending: number): void;
  /** The ledger refused a batch as inconsistent (a bug, not an outage): it was dropped. */
  commitRefused?(error: unknown, dropped: readonly NewTransition[]): void;
  /** Committed changes of down targets' blocked_by (late cause, or released). */
  attributionsCommitted?(changes: readonly AttributionChange[]): void;
  /** A target entered or left a maintenance window (seen at a probe's start). */
  maintenanceChanged?(target: Target, inMaintenance: boolean): void;
  /** Every canary fails (blind) or one answers again, at `at`. */
  blindChanged?(blind: boolean, at: number): void;
  /** Every ledger commit, timed: one transaction of `count` transitions. */
  commitFinished?(result: "ok" | "error", durationMs: number, count: number): void;
}

/** What the outside world may see of a target: only states the ledger accepted. */
export interface CommittedState {
  state: TargetState;
  /** `at` of the transition into it; null while unknown and never transitioned. */
  since: number | null;
  /** The committed transition into `state`, if any. */
  transition: StoredTransition | null;
  /** While down: the root-most down dependency it is blocked by (null: its own outage). */
  blockedBy: string | null;
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
}

export interface EngineOptions {
  clock: Clock;
  timers: Timers;
  ledger: Ledger;
  runId: number;
  /** This daemon's name in the ledger (gaps are recorded under it). */
  instance: string;
  runProbe: RunProbe;
  /** Delay before retrying a failed commit. */
  commitRetryMs?: number;
  /** Reference targets (SPEC global.canaries) and maintenance windows; see `setPolicy`. */
  canaries?: readonly string[];
  maintenance?: readonly MaintenanceWindow[];
  /**
   * Group commit: transitions decided within this window of the first one share one
   * transaction (a mass outage is a few commits, not thousands). 0 = the current tick only.
   */
  batchWindowMs?: number;
}

/** A batch this large is committed at once, window or not. */
const MAX_BATCH = 5000;

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
  private retryTimer: ReturnType<Timers["setTimeout"]> | null = null;
  private readonly shutdown = new AbortController();
  private readonly attribution = new AttributionTracker();
  /** Start of the outage each pending transition out of `down` ends. */
  private readonly outageStarts = new WeakMap<NewTransition, number>();
  private readonly blindness: BlindDetector;
  private maintenance: readonly MaintenanceWindow[];
  /** The open blind gap's id, once the ledger has it. */
  private blindGap: Promise<number | null> | null = null;

  constructor(private readonly options: EngineOptions) {
    // Every probe in flight listens on the one shutdown signal.
    setMaxListeners(0, this.shutdown.signal);
    this.blindness = new BlindDetector(options.canaries ?? []);
    this.maintenance = options.maintenance ?? [];
  }

  /** Canaries and maintenance windows, replaced on reload. */
  setPolicy(policy: {
    canaries: readonly string[];
    maintenance: readonly MaintenanceWindow[];
  }): void {
    this.blindness.setCanaries(policy.canaries);
    this.maintenance = policy.maintenance;
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
    const health = latest ? restoreHealth(latest.to, latest.at) : initialHealth();
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
    if (runtime.health.state !== "down") return;
    const now = this.options.clock.now();
    const removal: Transition = {
      targetId,
      from: "down",
      to: "unknown",
      at: now,
      detectedAt: now,
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
    const result = await this.options.runProbe(target, this.shutdown.signal);
    // The target may have been removed or replaced by a reload while the probe ran.
    if (this.targets.get(targetId) !== runtime) return;
    this.observe(runtime, result);
  }

  /** Applies a probe result (exposed for tests and the simulator-driven benchmarks). */
  observe(runtime: TargetRuntime | string, result: ProbeResult): void {
    const rt = typeof runtime === "string" ? this.targets.get(runtime) : runtime;
    if (!rt) return;
    rt.lastResult = result;
    for (const s of this.subscribers) s.probeCompleted?.(rt.target, result);
    this.observeMaintenance(rt, result.startedAt);
    this.observeBlindness(rt.target.id, result);
    if (this.blindness.ignores(result)) return;
    const { health, transition } = decide(
      rt.health,
      result,
      rt.target,
      this.options.clock.now(),
      rt.target.id,
    );
    const outageStart = rt.health.state === "down" ? rt.health.since : null;
    rt.health = health;
    if (transition) this.enqueue(rt, transition, outageStart);
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
    const { ledger, instance } = this.options;
    if (change.change === "entered") {
      const gap = { instance, kind: "blind" as const, start: change.at, end: null };
      this.blindGap = ledger.openGap(gap).catch(() => null);
    } else {
      const opened = this.blindGap;
      this.blindGap = null;
      void opened
        ?.then((id) => (id === null ? undefined : ledger.closeGap(id, change.at)))
        .catch(() => undefined);
    }
    for (const s of this.subscribers) s.blindChanged?.(change.change === "entered", change.at);
  }

  /** Resolves when everything decided so far is committed (or the ledger keeps failing). */
  async flush(): Promise<void> {
    while (this.committing || this.pending.length > 0) {
      if (this.committing) await this.committing;
      else await this.commitPending();
      if (this.retryTimer) return;
    }
  }

  /** Aborts probes in flight (they end as failed/aborted and are not decided on). */
  abortProbes(): void {
    this.shutdown.abort();
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** `outageStart`: for a transition out of down, the start of the outage it ends. */
  private enqueue(
    runtime: TargetRuntime,
    transition: Transition,
    outageStart: number | null,
  ): void {
    const target = runtime.target;
    const at = Math.max(transition.at, runtime.lastAt);
    runtime.lastAt = at;
    const entry: NewTransition = {
      ...transition,
      at,
      detectedAt: Math.max(transition.detectedAt, at),
      service: target.service,
      site: target.site,
      // attributed for the whole batch at commit time
      blockedBy: null,
      maintenance: this.maintenanceOf(target, transition.from === "down" ? outageStart : null, at),
    };
    if (transition.from === "down" && outageStart !== null)
      this.outageStarts.set(entry, outageStart);
    this.pending.push(entry);
    if (this.pending.length >= MAX_BATCH && !this.committing && !this.retryTimer) {
      void this.commitPending();
      return;
    }
    if (this.flushQueued || this.committing || this.retryTimer) return;
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

  private *attributionSubjects() {
    for (const [id, rt] of this.targets) {
      const down = rt.health.state === "down";
      yield {
        id,
        dependsOn: rt.target.dependsOn,
        state: rt.health.state,
        downSince: down ? rt.health.since : null,
      };
    }
  }

  private commitPending(): Promise<void> {
    if (this.committing || this.pending.length === 0) return this.committing ?? Promise.resolve();
    const batch = this.pending;
    this.pending = [];
    const attributed = this.attribution.attribute(
      this.attributionSubjects(),
      batch,
      this.options.clock.now(),
    );
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
          finished("ok");
          this.attribution.committedBatch(attributed);
          this.publish(stored, batch, changes);
        },
        (error: unknown) => {
          finished("error");
          if (isRefusal(error)) return this.dropRefused(batch, error);
          // Keep order: the failed batch goes back in front of what arrived meanwhile.
          this.pending = batch.concat(this.pending);
          for (const s of this.subscribers) s.commitFailed?.(error, this.pending.length);
          this.scheduleRetry();
        },
      )
      .finally(() => {
        this.committing = null;
        if (this.pending.length > 0 && !this.retryTimer) void this.commitPending();
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
      runtime.health = restoreHealth(runtime.committed.state, runtime.committed.since);
      runtime.lastAt = runtime.committed.since ?? Number.NEGATIVE_INFINITY;
    }
    for (const s of this.subscribers) s.commitRefused?.(error, dropped);
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = this.options.timers.setTimeout(() => {
      this.retryTimer = null;
      void this.commitPending();
    }, this.options.commitRetryMs ?? 1000);
  }

  private publish(
    stored: readonly StoredTransition[],
    batch: readonly NewTransition[],
    changes: readonly AttributionChange[],
  ): void {
    // The ledger returns the batch in order: each stored row is its batch entry, with an id.
    const committed = stored.map((t, i) => {
      const entry = batch[i];
      return { ...t, outageStart: (entry && this.outageStarts.get(entry)) ?? null };
    });
    this.publishCommitted(committed, changes);
  }

  private publishCommitted(
    stored: readonly CommittedTransition[],
    changes: readonly AttributionChange[],
  ): void {
    for (const transition of stored) {
      const runtime = this.targets.get(transition.targetId);
      if (!runtime) continue;
      const blockedBy = transition.to === "down" ? transition.blockedBy : null;
      runtime.committed = { state: transition.to, since: transition.at, transition, blockedBy };
    }
    for (const change of changes) {
      const runtime = this.targets.get(change.targetId);
      if (runtime) runtime.committed = { ...runtime.committed, blockedBy: change.blockedBy };
    }
    for (const s of this.subscribers) s.transitionsCommitted?.(stored);
    if (changes.length > 0) for (const s of this.subscribers) s.attributionsCommitted?.(changes);
  }
}
