import type { TargetState, Transition } from "../health/types.js";

/**
 * The durable record (docs/operations.md). One interface; SQLite now, PostgreSQL later, one shared
 * contract test suite. Times are epoch milliseconds. Every method is async so that a
 * network store fits the same shape.
 */

/**
 * A change of a down target's `blocked_by` after its →down transition: the upstream was
 * detected down later than its dependant although its outage started no later (`blockedBy`
 * set: the outage's cause from its start), or the upstream recovered while the target stayed
 * down (`blockedBy` null: its own outage from `at`).
 */
export interface AttributionChange {
  targetId: string;
  at: number;
  blockedBy: string | null;
}

/** A transition as the engine hands it to the ledger, with the facts it was decided with. */
export interface NewTransition extends Transition {
  service: string;
  site: string;
  /** Root-most down dependency when the target went down (null otherwise). */
  blockedBy: string | null;
  /** →down: `at` fell inside a maintenance window; out of down: the outage overlapped one. */
  maintenance: boolean;
  /**
   * →down: its page waits for an upstream's verdict (the outage's `pageSettledAt` stays null
   * until a PageSettlement); absent or false: settled as it opens.
   */
  pageHeld?: boolean;
}

/** The page of a target's open outage stopped waiting for an upstream's verdict at `at`. */
export interface PageSettlement {
  targetId: string;
  at: number;
}

export interface StoredTransition extends NewTransition {
  id: number;
  runId: number;
  instance: string;
}

/** One daemon run. A clean stop sets `stoppedAt`; a crash leaves it null. */
export interface Run {
  id: number;
  instance: string;
  startedAt: number;
  lastHeartbeat: number;
  stoppedAt: number | null;
}

/** Time the monitor was not watching: between runs (`restart`) or with every canary failing (`blind`). */
export interface Gap {
  instance: string;
  kind: "restart" | "blind";
  start: number;
  /** null while a blind gap is still open. */
  end: number | null;
}

/** An interval in `down` (docs/states-and-outages.md). */
export interface OutageRecord {
  id: number;
  instance: string;
  targetId: string;
  service: string;
  site: string;
  /** `at` of the →down transition: the first failed probe. */
  start: number;
  /** `at` of the next transition out of down; null while open. */
  end: number | null;
  /** When the →down transition was decided. */
  detectedAt: number;
  reason: string | null;
  detail: string | null;
  blockedBy: string | null;
  /** When the blocking dependency recovered while this target stayed down: from then on the
   * outage is its own. null while still blocked, or never blocked. */
  blockedUntil: number | null;
  maintenance: boolean;
  /** `recovered`, `removed` (target left the config), null while open. */
  endReason: string | null;
  /**
   * Start of the last non-failed probe before the outage's first failed one: the failure really
   * began in (lastOkAt, start]. null when none was seen (the first probe of a run failed).
   */
  lastOkAt: number | null;
  /**
   * Start of the outage's last failed probe: it really ended in (lastFailedAt, end]. null while
   * open, or when no failed probe was seen since a restart.
   */
  lastFailedAt: number | null;
  /**
   * When its page stopped waiting for an upstream's verdict (paged or blocked); null while it
   * waits, and for outages recorded before pantau kept this.
   */
  pageSettledAt: number | null;
}

export interface TimeRange {
  /** Inclusive lower bound on time, epoch ms. */
  since?: number;
  /** Exclusive upper bound on time, epoch ms. */
  until?: number;
}

export interface TargetFilter {
  instance?: string;
  targetId?: string;
  service?: string;
  site?: string;
}

export interface TransitionQuery extends TargetFilter, TimeRange {
  /** At most this many: the newest ones, returned in ascending order. */
  limit?: number;
}

export interface OutageQuery extends TargetFilter, TimeRange {
  /** true: only open; false: only ended; undefined: both. Range selects outages overlapping it. */
  open?: boolean;
  /** Only those after this one in the (start, id) order: the next page of a long listing. */
  after?: { start: number; id: number };
  /** At most this many, the first in (start, id) order. */
  limit?: number;
}

/** Targets' last transitions before a time: the state each was in at `before`. */
export interface LastTransitionQuery extends TargetFilter {
  /** Exclusive: transitions with `at < before`. */
  before: number;
}

/**
 * One target's transitions in a range as parallel arrays, in order (`at`, then id): what
 * availability arithmetic reads, without a row object per transition.
 */
export interface StateHistory {
  instance: string;
  targetId: string;
  at: number[];
  /** The state each transition entered. */
  to: TargetState[];
}

/** How a run joins the ledger: alone (its own instance) or as a member of an HA group. */
export interface RunOptions {
  /**
   * The high-availability group: the run's transitions, outages and gaps are kept under this
   * name (one chain per target for the group), written only while the run is the leader.
   */
  haGroup?: string | null;
  /**
   * A member whose last heartbeat is this recent (and not stopped) is alive: while one is, the
   * group is watched and a start records no restart gap. Default 0 (only a heartbeat at `at`).
   */
  liveWithinMs?: number;
  /** The quorum group the run is a vantage of (docs/quorum.md): its decider reads it. */
  quorumGroup?: string | null;
}

/** The elected writer of an HA group. */
export interface Leader {
  haGroup: string;
  /** Bumped by each new leader. */
  epoch: number;
  runId: number;
  since: number;
}

/**
 * The last push of a push target (docs/states-and-outages.md#push-targets): its deadline runs
 * from it, across restarts.
 */
export interface PushRecord {
  targetId: string;
  /** When it arrived, epoch ms (the daemon's wall clock). */
  at: number;
  status: "ok" | "fail";
  /** As the pusher sent it; "" when none. */
  message: string;
}

export interface RunStart {
  run: Run;
  /** The instance's previous run, if any. */
  previous: Run | null;
  /** The gap recorded from the previous run's last heartbeat to this start. */
  gap: Gap | null;
}

export interface Ledger {
  /**
   * Opens a run for `instance` and records the restart gap since its previous run. In an HA
   * group the gap is the group's: from the newest heartbeat of any member, and none while a
   * member is alive (`liveWithinMs`); `previous` is still this instance's own previous run.
   */
  startRun(instance: string, at: number, options?: RunOptions): Promise<RunStart>;
  /**
   * Makes the run (which must belong to an HA group) its group's leader from `at`: bumps the
   * epoch and names the run, so that commits by any other member fail with LEDGER_FENCED.
   */
  claimLeadership(runId: number, at: number): Promise<Leader>;
  /** The group's current leader, or null before any. */
  leader(haGroup: string): Promise<Leader | null>;
  heartbeat(runId: number, at: number): Promise<void>;
  /** Marks the run cleanly stopped at `at` (also its last heartbeat). */
  stopRun(runId: number, at: number): Promise<void>;
  /**
   * Commits transitions in ONE transaction, maintaining outages: →down opens one,
   * down→x closes it (`endReason` `removed` when the transition's reason is `removed`,
   * else `recovered`). Attribution changes and page settlements of open outages are applied
   * after the transitions, in the same transaction; a commit may carry those alone. Resolves only once durable; nothing may observe them before.
   * A run of an HA group writes under the group's name, and only while it is the leader
   * (LEDGER_FENCED otherwise).
   */
  commit(
    runId: number,
    transitions: readonly NewTransition[],
    attributions?: readonly AttributionChange[],
    settlements?: readonly PageSettlement[],
  ): Promise<StoredTransition[]>;
  /**
   * Keeps each target's latest push for the run's chain (its instance, or its HA group),
   * replacing the one kept before, in one transaction; of several pushes of one target in
   * `pushes`, the last. Any live run of the chain may record a push it received (not fenced).
   */
  recordPushes(runId: number, pushes: readonly PushRecord[]): Promise<void>;
  /** The last push of each target of the chain `instance`, by target id. */
  lastPushes(instance: string): Promise<PushRecord[]>;
  openGap(gap: Gap): Promise<number>;
  closeGap(gapId: number, end: number): Promise<void>;
  /** The latest transition of each target of `instance`: the state to restore on start. */
  latestTransitions(instance: string): Promise<StoredTransition[]>;
  transitions(query: TransitionQuery): Promise<StoredTransition[]>;
  /**
   * For each target matching the filter (service and site as recorded on the transition), its
   * last transition with `at < before`; ordered by instance, then target id.
   */
  lastTransitionsBefore(query: LastTransitionQuery): Promise<StoredTransition[]>;
  /** Transitions in the range (`since <= at < until`), grouped by target in first-seen order. */
  stateHistories(query: TargetFilter & TimeRange): Promise<StateHistory[]>;
  outages(query: OutageQuery): Promise<OutageRecord[]>;
  gaps(query: { instance?: string } & TimeRange): Promise<Gap[]>;
  runs(query: { instance?: string } & TimeRange): Promise<Run[]>;
  close(): Promise<void>;
  /**
   * Gives room the store holds back to the file system (SQLite: checkpoints the WAL and
   * truncates it). Called when a write failed for want of space and when one succeeds again.
   * Optional: a network store has nothing to give back.
   */
  reclaimSpace?(): Promise<void>;
}

/** A vantage's vote on a quorum transition, as the ledger keeps it (docs/quorum.md). */
export interface QuorumVoteRecord {
  vantage: string;
  vote: TargetState | "blind" | "dead";
  /** When this vote began; null when it began before what the decider read. */
  since: number | null;
}

/** The newest run of one daemon that is a vantage of a quorum group. */
export interface QuorumMember extends Run {
  /** What it votes as: its HA pair's name, or its own instance. */
  vantage: string;
}

/**
 * What a quorum's decider reads and writes besides the Ledger (PostgreSQL in production; the
 * SQLite store implements it too, for tests and the offline CLI).
 */
export interface QuorumLedger {
  /** The newest run of each daemon that joined `group`, by instance. */
  quorumMembers(group: string): Promise<QuorumMember[]>;
  /** `instance`'s transitions with an id above `afterId`, in commit (id) order, at most `limit`. */
  transitionsAfter(instance: string, afterId: number, limit: number): Promise<StoredTransition[]>;
  /** The open outages of `instance` among `targetIds`. */
  openOutagesOf(instance: string, targetIds: readonly string[]): Promise<OutageRecord[]>;
  /**
   * Commits a decider's transitions as `commit` does (fenced: only the group's leader), with
   * each one's votes (`votes[i]` for `transitions[i]`), in one transaction.
   */
  commitQuorum(
    runId: number,
    transitions: readonly NewTransition[],
    votes: readonly (readonly QuorumVoteRecord[])[],
    attributions?: readonly AttributionChange[],
  ): Promise<StoredTransition[]>;
  /** The votes of these transitions, by transition id. */
  quorumVotes(transitionIds: readonly number[]): Promise<Map<number, QuorumVoteRecord[]>>;
}

/** Whether a store can serve a quorum group (both stores can; a test double may not). */
export function isQuorumLedger(ledger: Ledger): ledger is Ledger & QuorumLedger {
  return "commitQuorum" in ledger && "transitionsAfter" in ledger;
}
