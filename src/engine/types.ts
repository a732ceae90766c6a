import type { MaintenanceWindow, Target } from "../config/types.js";
import type { TargetState } from "../health/types.js";
import type { Ledger, StoredTransition } from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import type { Clock, Timers } from "../time/clock.js";

/** What the engine takes, and the shapes of what it tells (events.ts). */

/** Runs one probe of a target; never rejects (a failure is a result). */
export type RunProbe = (target: Target, signal: AbortSignal) => Promise<ProbeResult>;

/** A committed transition, with the start of the outage it ends (out of `down` only). */
export interface CommittedTransition extends StoredTransition {
  /** The recorded `at` of the →down whose outage this ends: the ledger's start of it. */
  outageStart: number | null;
  /**
   * Wall − monotonic of the base `at` was recorded on (`at − wallOffset` is the monotonic time
   * of the probe it rests on), when this process decided it; absent for transitions restored,
   * adopted from a leader or decided by a quorum: read on the wall clock as it is.
   */
  wallOffset?: number;
  /**
   * →down only: upstreams that may have caused it and have no verdict yet; while any is
   * pending the target's page waits (see the `holds` of events). Empty: nothing to wait for.
   */
  waitingOn: readonly string[];
}

/**
 * How long the outage a transition out of down ends lasted, in ms, as the ledger has it (its
 * `at` less the recorded start: both on one base, so a wall-clock step between them is not
 * counted); null for a transition that ends none. The log line, the outage histogram and the
 * demo's board all read this one.
 */
export function endedOutageMs(t: Pick<CommittedTransition, "at" | "outageStart">): number | null {
  return t.outageStart === null ? null : t.at - t.outageStart;
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
  /** Reference targets (global.canaries) and maintenance windows; see `setPolicy`. */
  canaries?: readonly string[];
  maintenance?: readonly MaintenanceWindow[];
  /**
   * Group commit: transitions decided within this window of the first one share one
   * transaction (a mass outage is a few commits, not thousands). 0 = the current tick only.
   */
  batchWindowMs?: number;
}
