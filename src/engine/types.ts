import type { MaintenanceWindow, Target } from "../config/types.js";
import type { TargetState, Transition } from "../health/types.js";
import type {
  AttributionChange,
  Ledger,
  NewTransition,
  StoredTransition,
} from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import type { Clock, Timers } from "../time/clock.js";
import type { WallClockJump } from "../time/wall-clock-watch.js";
import type { LedgerRecoveryReport, LedgerTroubleReport } from "./ledger-trouble.js";
import type { PageHoldChange } from "./page-holds.js";

/** What the engine takes and tells: its options and its subscribers' hooks. */

/** Runs one probe of a target; never rejects (a failure is a result). */
export type RunProbe = (target: Target, signal: AbortSignal) => Promise<ProbeResult>;

/** A committed transition, with the start of the outage it ends (out of `down` only). */
export interface CommittedTransition extends StoredTransition {
  outageStart: number | null;
  /**
   * →down only: upstreams that may have caused it and have no verdict yet; while any is
   * pending the target's page waits (see `pageHoldsChanged`). Empty: nothing to wait for.
   */
  waitingOn: readonly string[];
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
  /**
   * A down target's page starts or stops waiting for its upstreams' verdicts. Released
   * (`waitingOn` empty) after the change of attribution it may bring has been published.
   */
  pageHoldsChanged?(changes: readonly PageHoldChange[]): void;
  /** A target entered or left a maintenance window (seen at a probe's start). */
  maintenanceChanged?(target: Target, inMaintenance: boolean): void;
  /** Every canary fails (blind) or one answers again, at `at`. */
  blindChanged?(blind: boolean, at: number): void;
  /** Every ledger commit, timed: one transaction of `count` transitions. */
  commitFinished?(result: "ok" | "error", durationMs: number, count: number): void;
  /** The ledger cannot be written: the first failure, then at most once per report interval. */
  ledgerUnwritable?(report: LedgerTroubleReport, queue: QueueState): void;
  /** The ledger accepts writes again (every failing operation has succeeded). */
  ledgerWritable?(report: LedgerRecoveryReport, queue: QueueState): void;
  /** Transitions decided but not yet committed (queued plus the batch being written). */
  queueLengthChanged?(length: number): void;
  /** A decided transition was put off: the queue is full (see `maxPending`). */
  transitionDropped?(transition: Transition): void;
  /** The wall clock stepped against the monotonic one. */
  clockJumped?(jump: WallClockJump): void;
}

/** The queue of decided, uncommitted transitions. */
export interface QueueState {
  length: number;
  max: number;
  /** Decisions put off for a full queue since the engine started. */
  dropped: number;
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

export interface EngineOptions {
  clock: Clock;
  timers: Timers;
  ledger: Ledger;
  runId: number;
  /** This daemon's name in the ledger (gaps are recorded under it). */
  instance: string;
  runProbe: RunProbe;
  /** Delay before retrying a failed commit; doubles on each failure up to `commitRetryMaxMs`. */
  commitRetryMs?: number;
  commitRetryMaxMs?: number;
  /** Transitions kept while the ledger cannot be written; beyond it decisions are put off. */
  maxPending?: number;
  /** Ledger trouble is reported (logged) at most once per this interval. */
  ledgerReportEveryMs?: number;
  /** Reference targets (SPEC global.canaries) and maintenance windows; see `setPolicy`. */
  canaries?: readonly string[];
  maintenance?: readonly MaintenanceWindow[];
  /**
   * Group commit: transitions decided within this window of the first one share one
   * transaction (a mass outage is a few commits, not thousands). 0 = the current tick only.
   */
  batchWindowMs?: number;
}
