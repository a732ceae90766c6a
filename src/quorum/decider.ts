import type { Target } from "../config/types.js";
import type { PageHoldChange } from "../engine/page-holds.js";
import { verdictDeadline } from "../engine/page-holds.js";
import type { Election } from "../fleet/ha-member.js";
import {
  countVotes,
  type MinDown,
  needed,
  quorumChain,
  type Standing,
  type Timeline,
  type VantageVote,
  type VoteCounts,
} from "../health/quorum.js";
import type { TargetState } from "../health/types.js";
import { isLedgerError } from "../ledger/errors.js";
import type {
  AttributionChange,
  Ledger,
  NewTransition,
  QuorumLedger,
  QuorumVoteRecord,
  StoredTransition,
} from "../ledger/ledger.js";
import type { Logger } from "../log/logger.js";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import { GroupAttribution } from "./group-attribution.js";
import { VantageHistory } from "./history.js";
import { standingTimeline } from "./standing.js";
import { nextSteps, quorumTransition, voteRecords } from "./verdict.js";

/**
 * The decider of a quorum group (docs/quorum.md). Every vantage runs one; the one holding the
 * group's election lock reads the vantages' committed transitions in commit order, works out
 * each target's group verdict (pure: health/quorum.ts, verdict.ts) and commits its changes,
 * with the votes behind them, to the group's own chain `quorum/<group>`. Its commits are
 * fenced like an HA leader's: a decider that lost the lock cannot write.
 */

export { quorumChain } from "../health/quorum.js";

/** Added to a target's detection bound: how far back a new decider reads. */
const SETTLE_SLACK_MS = 1000;
/** Transitions read per query while catching up. */
const READ_BATCH = 5000;

export interface QuorumDeciderOptions {
  group: string;
  minDown: MinDown;
  deadAfterMs: number;
  /** This daemon's instance: its decider's run is `<instance>/quorum/<group>`. */
  instance: string;
  ledger: Ledger & QuorumLedger;
  election: Election;
  /** The targets as configured now (service, site, thresholds). */
  targets(): readonly Target[];
  clock: Clock;
  timers: Timers;
  /** How often the leader reads the vantages; and the standby tries the lock. */
  pollMs: number;
  /** How often the decider's run says it is alive. */
  heartbeatMs: number;
  logger: Logger;
  /** What the decider committed and saw, for metrics and alerts. */
  publish(event: QuorumEvent): void;
}

export interface TargetVotes {
  targetId: string;
  /** The committed group state. */
  state: TargetState;
  votes: readonly VantageVote[];
  counts: VoteCounts;
  /** Its open group outage's blocked_by; null: none, or its own. */
  blockedBy: string | null;
  /** Upstreams its group page waits on; empty: none. */
  waitingOn: readonly string[];
}

export type QuorumEvent =
  | { kind: "role"; leader: boolean }
  | {
      kind: "committed";
      transitions: readonly StoredTransition[];
      /** For each transition out of down, the start of the group outage it ends; else null. */
      outageStarts: readonly (number | null)[];
      /** For each →down, the upstreams its page waits on (empty: it pages now). */
      waitingOn: readonly (readonly string[])[];
      /** Held pages that stopped waiting. */
      releases: readonly PageHoldChange[];
      votes: readonly (readonly QuorumVoteRecord[])[];
      attributions: readonly AttributionChange[];
    }
  | { kind: "votes"; targets: readonly TargetVotes[] };

interface ChainEnd {
  state: TargetState;
  at: number;
}

export class QuorumDecider {
  private runId: number | null = null;
  private leading = false;
  private stopped = false;
  private timer: TimerHandle | null = null;
  private ticking: Promise<void> | null = null;
  private lastHeartbeat = Number.NEGATIVE_INFINITY;
  private lastLeaderCheck = Number.NEGATIVE_INFINITY;
  private lastRefresh = Number.NEGATIVE_INFINITY;
  /** The last round read vantage transitions: the next one starts at once. */
  private readNews = false;
  /** The longest detection bound of any target, as of the last refresh. */
  private settleBound = SETTLE_SLACK_MS;
  private history = new VantageHistory();
  private committed = new Map<string, ChainEnd>();
  /** Per vantage chain: the id of the last transition read. */
  private cursors = new Map<string, number>();
  private standings = new Map<string, Timeline<Standing, never>>();
  private standingKey = "";
  /** Targets to judge on the next round (their vantages moved, or all after a standing change). */
  private dirty = new Set<string>();
  private readonly attribution = new GroupAttribution();

  constructor(private readonly options: QuorumDeciderOptions) {}

  get chain(): string {
    return quorumChain(this.options.group);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    const { ledger, clock, instance } = this.options;
    const started = await ledger.startRun(`${instance}/${this.chain}`, clock.now(), {
      haGroup: this.chain,
      liveWithinMs: this.options.deadAfterMs,
    });
    this.runId = started.run.id;
    this.lastHeartbeat = clock.now();
    await this.tick();
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) this.options.timers.clearTimeout(this.timer);
    await this.ticking;
    await this.options.election.release();
    if (this.runId !== null)
      await this.options.ledger.stopRun(this.runId, this.options.clock.now());
    if (this.leading) this.demote("stopped");
  }

  /** One round; rounds never overlap. */
  tick(): Promise<void> {
    this.ticking ??= this.round()
      .catch((error: unknown) => {
        if (isLedgerError(error, "LEDGER_FENCED") && this.leading) {
          return this.demote("fenced: another decider claimed the group");
        }
        this.options.logger.error(
          { event: "quorum_error", quorum_group: this.options.group, err: error },
          "quorum round failed",
        );
      })
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  /** The next round after `pollMs`, or at once when the last one read news (a backlog). */
  private schedule(): void {
    if (this.stopped) return;
    const delay = this.readNews ? 0 : this.options.pollMs;
    this.timer = this.options.timers.setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, delay);
  }

  private async round(): Promise<void> {
    this.readNews = false;
    if (this.stopped || this.runId === null) return;
    const { ledger, clock, election } = this.options;
    const now = clock.now();
    if (now - this.lastHeartbeat >= this.options.heartbeatMs) {
      await ledger.heartbeat(this.runId, now);
      this.lastHeartbeat = now;
    }
    if (!this.leading) {
      if (!(await election.tryAcquire())) return;
      await ledger.claimLeadership(this.runId, clock.now());
      await this.load();
      this.leading = true;
      this.lastLeaderCheck = now;
      this.options.logger.info(
        { event: "quorum_decider", quorum_group: this.options.group, run: this.runId },
        `decider of quorum group ${this.options.group}`,
      );
      this.options.publish({ kind: "role", leader: true });
    } else if (now - this.lastLeaderCheck >= this.options.heartbeatMs) {
      this.lastLeaderCheck = now;
      const leader = await ledger.leader(this.chain);
      if (!(await election.check()) || leader?.runId !== this.runId) {
        this.demote("lost the election");
        return;
      }
    }
    // the group's members and standings change slowly: read them once a heartbeat
    if (now - this.lastRefresh >= this.options.heartbeatMs) {
      this.lastRefresh = now;
      await this.refreshMembers();
    }
    await this.readVantages();
    await this.decide();
  }

  /** The election's lock connection broke: the lock is gone with it. */
  lockLost(reason: string): void {
    if (this.leading) this.demote(`lock connection lost: ${reason}`);
  }

  private demote(why: string): void {
    this.leading = false;
    this.options.logger.warn(
      { event: "quorum_standby", quorum_group: this.options.group, reason: why },
      `no longer the decider of quorum group ${this.options.group}: ${why}`,
    );
    this.options.publish({ kind: "role", leader: false });
  }

  /**
   * After winning the lock: the group chain as committed, and each vantage's states from a
   * little before the last verdict (or the previous decider's last sign of life), so that what
   * the vantages committed while no decider ran is judged too.
   */
  private async load(): Promise<void> {
    const { ledger, clock } = this.options;
    this.committed = new Map(
      (await ledger.latestTransitions(this.chain)).map((t) => [
        t.targetId,
        { state: t.to, at: t.at },
      ]),
    );
    const runs = await ledger.runs({ instance: undefined });
    let lastSign = Number.NEGATIVE_INFINITY;
    for (const run of runs) {
      if (run.id !== this.runId && run.instance.endsWith(`/${this.chain}`)) {
        lastSign = Math.max(lastSign, run.lastHeartbeat);
      }
    }
    const now = clock.now();
    const from =
      (Number.isFinite(lastSign) ? Math.min(lastSign, now) : now) - this.refreshSettleBound();
    this.history = new VantageHistory();
    this.cursors = new Map();
    this.standingKey = "";
    this.lastRefresh = now;
    await this.refreshMembers(from);
    this.attribution.restore(await ledger.outages({ instance: this.chain, open: true }));
    for (const id of this.committed.keys()) this.dirty.add(id);
    for (const target of this.options.targets()) this.dirty.add(target.id);
  }

  /** The group's vantages and their standings; a new vantage is read from `from` on. */
  private async refreshMembers(
    from = this.options.clock.now() - this.refreshSettleBound(),
  ): Promise<void> {
    const { ledger, clock, group, deadAfterMs } = this.options;
    const now = clock.now();
    const members = new Map<string, string[]>();
    for (const member of await ledger.quorumMembers(group)) {
      const list = members.get(member.vantage) ?? [];
      list.push(member.instance);
      members.set(member.vantage, list);
    }
    const horizon = from - deadAfterMs;
    const standings = new Map<string, Timeline<Standing, never>>();
    for (const [vantage, instances] of members) {
      if (!this.cursors.has(vantage)) await this.seed(vantage, from);
      const runs = (
        await Promise.all(instances.map((instance) => ledger.runs({ instance, since: horizon })))
      ).flat();
      const blind = await ledger.gaps({ instance: vantage, since: horizon });
      standings.set(vantage, standingTimeline({ runs, blind, deadAfterMs, now }));
    }
    this.standings = standings;
    // a standing that changed touches every target's verdict
    const key = JSON.stringify([...standings].sort());
    if (key !== this.standingKey) {
      this.standingKey = key;
      for (const target of this.options.targets()) this.dirty.add(target.id);
    }
  }

  /** A vantage's states before `from` and its transitions since, and where to read on from. */
  private async seed(vantage: string, from: number): Promise<void> {
    const { ledger } = this.options;
    let cursor = 0;
    for (const t of await ledger.lastTransitionsBefore({ instance: vantage, before: from })) {
      this.history.seed(vantage, t);
      cursor = Math.max(cursor, t.id);
    }
    const since = await ledger.transitions({ instance: vantage, since: from });
    for (const t of since.sort((a, b) => a.id - b.id)) {
      this.history.add(vantage, t);
      this.dirty.add(t.targetId);
      cursor = Math.max(cursor, t.id);
    }
    this.cursors.set(vantage, cursor);
  }

  /** Every vantage's transitions committed since the last round, in commit order. */
  private async readVantages(): Promise<void> {
    for (const [vantage, after] of this.cursors) {
      let cursor = after;
      for (;;) {
        const batch = await this.options.ledger.transitionsAfter(vantage, cursor, READ_BATCH);
        for (const t of batch) {
          this.history.add(vantage, t);
          this.dirty.add(t.targetId);
          cursor = t.id;
        }
        if (batch.length > 0) this.readNews = true;
        if (batch.length < READ_BATCH) break;
      }
      this.cursors.set(vantage, cursor);
    }
  }

  /** Judges the dirty targets and commits their final steps in one transaction. */
  private async decide(): Promise<void> {
    const { clock, minDown, ledger } = this.options;
    const now = clock.now();
    const configured = targetsById(this.options.targets());
    const transitions: NewTransition[] = [];
    const outageStarts: (number | null)[] = [];
    const votes: QuorumVoteRecord[][] = [];
    const finalState = new Map<string, TargetState>();
    let membersNow = 0;
    for (const timeline of this.standings.values()) {
      if (standingNow(timeline) !== "dead") membersNow++;
    }
    for (const targetId of this.dirty) {
      const target = configured.get(targetId);
      if (target === undefined) continue;
      const timelines = this.history.timelines(targetId, this.standings);
      const end = this.committed.get(targetId) ?? {
        state: "unknown",
        at: Number.NEGATIVE_INFINITY,
      };
      const steps = nextSteps(timelines, minDown, end);
      let from = end.state;
      let since = end.at;
      for (const step of steps) {
        const downCauses = step.votes
          .filter((v) => v.vote === "down")
          .map((v) => this.history.changeAt(targetId, v.vantage, step.at)?.cause ?? null);
        transitions.push(quorumTransition(target, from, step, minDown, downCauses, now));
        votes.push(voteRecords(step));
        outageStarts.push(from === "down" ? since : null);
        from = step.state;
        since = step.at;
      }
      finalState.set(targetId, from);
    }
    const moved = this.dirty;
    this.dirty = new Set();
    // what no late news can reach any more is folded: a target that flaps for one vantage
    // only (never a group change) keeps a bounded history
    for (const id of moved) {
      const end = this.committed.get(id)?.at ?? Number.NEGATIVE_INFINITY;
      this.history.prune(id, Math.max(end, now - 2 * this.settleBound));
    }
    const groupState = (id: string) =>
      finalState.get(id) ?? this.committed.get(id)?.state ?? "unknown";
    const proposal = await this.attribution.propose({
      now,
      opened: transitions.filter((t) => t.to === "down"),
      ended: new Set(transitions.filter((t) => t.from === "down").map((t) => t.targetId)),
      moved,
      groupState,
      downVoters: (id) =>
        [...this.standings.keys()].filter((v) => this.history.latest(id, v)?.value === "down"),
      need: needed(minDown, membersNow),
      target: (id) => configured.get(id),
      openOutagesOf: (vantage, ids) => ledger.openOutagesOf(vantage, ids),
    });
    const { attributions, releases } = proposal;
    if (transitions.length + attributions.length > 0 && this.runId !== null) {
      const stored = await ledger.commitQuorum(this.runId, transitions, votes, attributions);
      for (const t of stored) {
        this.committed.set(t.targetId, { state: t.to, at: t.at });
        this.history.prune(t.targetId, t.at);
      }
      this.attribution.committed(proposal);
      this.options.publish({
        kind: "committed",
        transitions: stored,
        outageStarts,
        waitingOn: stored.map((t) => proposal.waitingOn.get(t.targetId) ?? []),
        releases,
        votes,
        attributions,
      });
    } else {
      this.attribution.committed(proposal);
      if (releases.length > 0) {
        this.options.publish({
          kind: "committed",
          transitions: [],
          outageStarts: [],
          waitingOn: [],
          releases,
          votes: [],
          attributions: [],
        });
      }
    }
    const shown = new Set([...moved, ...attributions.map((a) => a.targetId)]);
    for (const r of releases) shown.add(r.targetId);
    const seen = [...shown].filter((id) => configured.has(id)).map((id) => this.votesOf(id));
    if (seen.length > 0) this.options.publish({ kind: "votes", targets: seen });
  }

  /** What the target's vantages count as now, and its committed group state and attribution. */
  private votesOf(targetId: string): TargetVotes {
    const votes = this.history.timelines(targetId, this.standings).map((v) => ({
      vantage: v.vantage,
      vote: voteNow(v.state.changes.at(-1)?.value ?? v.state.initial, standingNow(v.standing)),
      since: null,
    }));
    return {
      targetId,
      state: this.committed.get(targetId)?.state ?? "unknown",
      votes,
      counts: countVotes(votes.map((v) => v.vote)),
      blockedBy: this.attribution.blockedOf(targetId),
      waitingOn: this.attribution.waitingOf(targetId),
    };
  }

  private refreshSettleBound(): number {
    this.settleBound = this.maxSettleMs();
    return this.settleBound;
  }

  /** The longest detection bound of any target: how far back a new decider reads. */
  private maxSettleMs(): number {
    const now = this.options.clock.now();
    let max = SETTLE_SLACK_MS;
    for (const target of this.options.targets()) max = Math.max(max, settleMs(target, now));
    return max;
  }
}

const byIdCache = new WeakMap<readonly Target[], ReadonlyMap<string, Target>>();

/**
 * The configured targets by id, built once per configuration: the list is replaced, not
 * changed, on reload, so rounds and every metrics lookup reuse one map instead of building one
 * over every target each time.
 */
export function targetsById(targets: readonly Target[]): ReadonlyMap<string, Target> {
  let byId = byIdCache.get(targets);
  if (byId === undefined) {
    byId = new Map(targets.map((t) => [t.id, t]));
    byIdCache.set(targets, byId);
  }
  return byId;
}

/**
 * How long after a probe a vantage has surely committed what it decided from it: its target's
 * detection bound (threshold probes and a timeout), plus slack. A new decider reads this far
 * before its predecessor's last sign of life.
 */
export function settleMs(target: Target, now: number): number {
  const down = verdictDeadline(target, now) - now;
  const up = verdictDeadline({ ...target, failureThreshold: target.successThreshold }, now) - now;
  return Math.max(down, up) + SETTLE_SLACK_MS;
}

function standingNow(standing: Timeline<Standing, unknown>): Standing {
  return standing.changes.at(-1)?.value ?? standing.initial;
}

function voteNow(state: TargetState, standing: Standing): VantageVote["vote"] {
  return standing === "voting" ? state : standing;
}
