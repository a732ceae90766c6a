import { setMaxListeners } from "node:events";
import type { Target } from "../config/types.js";
import { decide, type HealthState, initialHealth, restoreHealth } from "../health/state-machine.js";
import type { TargetState, Transition } from "../health/types.js";
import { isLedgerError } from "../ledger/errors.js";
import type { Ledger, NewTransition, StoredTransition } from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import type { Clock, Timers } from "../time/clock.js";

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

/** Readers of what happened. Only committed transitions reach `transitionsCommitted`. */
export interface EngineSubscriber {
  probeCompleted?(target: Target, result: ProbeResult): void;
  transitionsCommitted?(transitions: readonly StoredTransition[]): void;
  commitFailed?(error: unknown, pending: number): void;
  /** The ledger refused a batch as inconsistent (a bug, not an outage): it was dropped. */
  commitRefused?(error: unknown, dropped: readonly NewTransition[]): void;
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
}

interface TargetRuntime {
  target: Target;
  /** The decision chain; runs ahead of `committed` until the ledger accepts. */
  health: HealthState;
  committed: CommittedState;
  lastResult: ProbeResult | null;
  /** `at` of the last decided transition: a wall clock stepping back must not reorder them. */
  lastAt: number;
}

export interface EngineOptions {
  clock: Clock;
  timers: Timers;
  ledger: Ledger;
  runId: number;
  runProbe: RunProbe;
  /** Delay before retrying a failed commit. */
  commitRetryMs?: number;
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

  constructor(private readonly options: EngineOptions) {
    // Every probe in flight listens on the one shutdown signal.
    setMaxListeners(0, this.shutdown.signal);
  }

  subscribe(subscriber: EngineSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /** Restores a target's state from its latest committed transition (after a restart). */
  restore(target: Target, latest: StoredTransition | null): void {
    const health = latest ? restoreHealth(latest.to, latest.at) : initialHealth();
    this.targets.set(target.id, {
      target,
      health,
      committed: {
        state: latest?.to ?? "unknown",
        since: latest?.at ?? null,
        transition: latest,
      },
      lastResult: null,
      lastAt: latest?.at ?? Number.NEGATIVE_INFINITY,
    });
  }

  /** A changed target keeps its state; only its settings change. */
  update(target: Target): void {
    const runtime = this.targets.get(target.id);
    if (runtime) runtime.target = target;
    else this.restore(target, null);
  }

  /** Forgets a target; an open outage ends with reason `removed`. */
  remove(targetId: string): void {
    const runtime = this.targets.get(targetId);
    if (!runtime) return;
    this.targets.delete(targetId);
    if (runtime.health.state !== "down") return;
    const now = this.options.clock.now();
    this.enqueue(runtime, {
      targetId,
      from: "down",
      to: "unknown",
      at: now,
      detectedAt: now,
      reason: "removed",
      detail: "target removed from the configuration",
    });
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
    const { health, transition } = decide(
      rt.health,
      result,
      rt.target,
      this.options.clock.now(),
      rt.target.id,
    );
    rt.health = health;
    if (transition) this.enqueue(rt, transition);
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

  private enqueue(runtime: TargetRuntime, transition: Transition): void {
    const target = runtime.target;
    const at = Math.max(transition.at, runtime.lastAt);
    runtime.lastAt = at;
    this.pending.push({
      ...transition,
      at,
      detectedAt: Math.max(transition.detectedAt, at),
      service: target.service,
      site: target.site,
      blockedBy: null,
      maintenance: false,
    });
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

  private commitPending(): Promise<void> {
    if (this.committing || this.pending.length === 0) return this.committing ?? Promise.resolve();
    const batch = this.pending;
    this.pending = [];
    const began = this.options.clock.monotonic();
    const finished = (result: "ok" | "error") => {
      const ms = this.options.clock.monotonic() - began;
      for (const s of this.subscribers) s.commitFinished?.(result, ms, batch.length);
    };
    this.committing = this.options.ledger
      .commit(this.options.runId, batch)
      .then(
        (stored) => {
          finished("ok");
          this.publish(stored);
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

  private publish(stored: readonly StoredTransition[]): void {
    for (const transition of stored) {
      const runtime = this.targets.get(transition.targetId);
      if (!runtime) continue;
      runtime.committed = { state: transition.to, since: transition.at, transition };
    }
    for (const s of this.subscribers) s.transitionsCommitted?.(stored);
  }
}
