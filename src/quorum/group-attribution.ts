import type { Target } from "../config/types.js";
import { HOLD_SLACK_MS } from "../engine/page-hold-keeper.js";
import type { PageHoldChange } from "../engine/page-holds.js";
import { verdictDeadline } from "../engine/page-holds.js";
import type { TargetState } from "../health/types.js";
import type { AttributionChange, NewTransition, OutageRecord } from "../ledger/ledger.js";
import { groupAttribution, type VoterOutage } from "./attribution.js";

/**
 * Keeps the group outages' `blocked_by` and page holds (the rule: attribution.ts). Each round
 * the decider hands it the group outages it opens and the targets whose vantages moved; it
 * reads the down vantages' own outages and says what changes. Its state follows the ledger:
 * a round's proposal is applied only once the commit is durable.
 */

export interface GroupRound {
  now: number;
  /** This round's →down group transitions (their blockedBy is set here). */
  opened: NewTransition[];
  /** Targets whose group outage this round ends. */
  ended: ReadonlySet<string>;
  /** Targets whose vantages moved this round. */
  moved: ReadonlySet<string>;
  /** The group state of a target after this round. */
  groupState(targetId: string): TargetState;
  /** The vantages that see the target down now. */
  downVoters(targetId: string): readonly string[];
  /** Vantages needed for a verdict now. */
  need: number;
  target(targetId: string): Target | undefined;
  /** The open outages of a vantage among the targets. */
  openOutagesOf(vantage: string, targetIds: readonly string[]): Promise<OutageRecord[]>;
}

export interface GroupProposal {
  /** For held →down transitions of this round: what the page waits on. */
  waitingOn: Map<string, readonly string[]>;
  attributions: AttributionChange[];
  releases: PageHoldChange[];
  /** The state after the commit. */
  next: { holds: Map<string, Hold>; blocked: Map<string, string | null> };
}

interface Hold {
  waitingOn: readonly string[];
  deadline: number;
}

/**
 * How often every blocked group outage is read again: a vantage releases a block some probes
 * after its upstream recovered, with no transition of its own to say so.
 */
const FULL_REVIEW_MS = 5000;

export class GroupAttribution {
  private holds = new Map<string, Hold>();
  private lastFullReview = Number.NEGATIVE_INFINITY;
  /** Open group outages of targets with upstreams: their committed blocked_by. */
  private blocked = new Map<string, string | null>();

  /** From the group's open outages (after a takeover). */
  restore(open: readonly OutageRecord[]): void {
    this.holds = new Map();
    this.blocked = new Map(open.map((o) => [o.targetId, o.blockedBy]));
  }

  async propose(round: GroupRound): Promise<GroupProposal> {
    const holds = new Map(this.holds);
    const blocked = new Map(this.blocked);
    for (const id of round.ended) {
      holds.delete(id);
      blocked.delete(id);
    }
    const opened = new Map(
      round.opened
        .filter((t) => hasUpstreams(round.target(t.targetId)))
        .map((t) => [t.targetId, t]),
    );
    const review = new Set<string>([...opened.keys(), ...holds.keys()]);
    const full = round.now - this.lastFullReview >= FULL_REVIEW_MS;
    if (full) this.lastFullReview = round.now;
    for (const id of blocked.keys()) {
      if (full || round.moved.has(id) || this.upstreamMoved(id, round)) review.add(id);
    }
    const outages = await this.voterOutages([...review], round);
    const proposal: GroupProposal = {
      waitingOn: new Map(),
      attributions: [],
      releases: [],
      next: { holds, blocked },
    };
    const isGroupDown = (id: string) => round.groupState(id) === "down";
    for (const targetId of review) {
      const verdict = groupAttribution(outages.get(targetId) ?? [], round.need, isGroupDown);
      const transition = opened.get(targetId);
      if (transition !== undefined) {
        transition.blockedBy = verdict.blockedBy;
        blocked.set(targetId, verdict.blockedBy);
        if (!verdict.settled) {
          const hold = holdOf(round, transition);
          holds.set(targetId, hold);
          proposal.waitingOn.set(targetId, hold.waitingOn);
        }
        continue;
      }
      if (!blocked.has(targetId)) continue;
      if (
        verdict.blockedBy !== (blocked.get(targetId) ?? null) &&
        (verdict.settled || verdict.blockedBy !== null)
      ) {
        blocked.set(targetId, verdict.blockedBy);
        proposal.attributions.push({ targetId, at: round.now, blockedBy: verdict.blockedBy });
      }
      const hold = holds.get(targetId);
      if (hold !== undefined && (verdict.settled || round.now >= hold.deadline)) {
        holds.delete(targetId);
        proposal.releases.push({ targetId, waitingOn: [] });
      }
    }
    return proposal;
  }

  /** The proposal's commit is durable. */
  committed(proposal: GroupProposal): void {
    this.holds = proposal.next.holds;
    this.blocked = proposal.next.blocked;
  }

  blockedOf(targetId: string): string | null {
    return this.blocked.get(targetId) ?? null;
  }

  waitingOf(targetId: string): readonly string[] {
    return this.holds.get(targetId)?.waitingOn ?? [];
  }

  /** A hold's bound may pass in a round where nothing moved. */
  get holding(): boolean {
    return this.holds.size > 0;
  }

  private upstreamMoved(targetId: string, round: GroupRound): boolean {
    return ancestors(targetId, round.target).some((id) => round.moved.has(id));
  }

  private async voterOutages(
    targetIds: readonly string[],
    round: GroupRound,
  ): Promise<Map<string, VoterOutage[]>> {
    const byVantage = new Map<string, string[]>();
    for (const id of targetIds) {
      for (const vantage of round.downVoters(id)) {
        const list = byVantage.get(vantage) ?? [];
        list.push(id);
        byVantage.set(vantage, list);
      }
    }
    const outages = new Map<string, VoterOutage[]>();
    for (const [vantage, ids] of byVantage) {
      for (const o of await round.openOutagesOf(vantage, ids)) {
        const list = outages.get(o.targetId) ?? [];
        list.push({ vantage, blockedBy: o.blockedBy, settled: o.pageSettledAt !== null });
        outages.set(o.targetId, list);
      }
    }
    return outages;
  }
}

function hasUpstreams(target: Target | undefined): boolean {
  return (target?.dependsOn.length ?? 0) > 0;
}

/** Every upstream of the target, any depth, by id. */
function ancestors(targetId: string, target: (id: string) => Target | undefined): string[] {
  const seen = new Set<string>([targetId]);
  const queue = [...(target(targetId)?.dependsOn ?? [])];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    if (seen.has(id)) continue;
    seen.add(id);
    queue.push(...(target(id)?.dependsOn ?? []));
  }
  seen.delete(targetId);
  return [...seen].sort();
}

/** Waits on every upstream, bounded by the slowest one's verdict after the group outage began. */
function holdOf(round: GroupRound, transition: NewTransition): Hold {
  const upstreams = ancestors(transition.targetId, round.target);
  let deadline = transition.at;
  for (const id of upstreams) {
    const upstream = round.target(id);
    if (upstream) deadline = Math.max(deadline, verdictDeadline(upstream, transition.at));
  }
  return { waitingOn: upstreams, deadline: Math.max(deadline + HOLD_SLACK_MS, round.now) };
}
