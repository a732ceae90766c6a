import {
  type MinDown,
  needed,
  type QuorumStep,
  quorumTimeline,
  type VantageTimelines,
} from "../health/quorum.js";
import type { TargetState } from "../health/types.js";
import type { NewTransition, QuorumVoteRecord, StoredTransition } from "../ledger/ledger.js";

/**
 * Which quorum transitions a decider commits now (pure): the group's timeline from the latest
 * committed quorum transition on, as the vantages' committed transitions make it. Committed at
 * once, so a page follows the completing vantage's commit within a round. Exact when the
 * vantages' commits arrive in the order of their probes, as they do when they watch the target
 * with the same interval and thresholds; a change that news arriving later would put before
 * the committed chain's end is committed at that end (the chain never goes back), and each
 * vote keeps the vantage's own time (`since`).
 */

export interface QuorumChainEnd {
  state: TargetState;
  /** Its `at`; −Infinity when the quorum chain of the target is empty. */
  at: number;
}

export function nextSteps(
  vantages: readonly VantageTimelines<StoredTransition>[],
  minDown: MinDown,
  committed: QuorumChainEnd,
): QuorumStep<StoredTransition>[] {
  const steps: QuorumStep<StoredTransition>[] = [];
  let current = committed.state;
  for (const step of quorumTimeline(vantages, minDown, committed.at)) {
    if (step.state === current) continue;
    current = step.state;
    steps.push({ ...step, at: Math.max(step.at, committed.at) });
  }
  return steps;
}

export interface QuorumTargetFacts {
  id: string;
  service: string;
  site: string;
}

/**
 * The quorum transition of a step: →down carries the completing vantage's reason and detail,
 * and as `previousProbeAt` (the outage's `last_ok_at`) the need-th earliest of the down voters'
 * own bounds, since the group's condition began after that many vantages last saw it healthy.
 */
export function quorumTransition(
  target: QuorumTargetFacts,
  from: TargetState,
  step: QuorumStep<StoredTransition>,
  minDown: MinDown,
  downCauses: readonly (StoredTransition | null)[],
  detectedAt: number,
): NewTransition {
  const cause = step.cause?.cause ?? null;
  const toDown = step.state === "down";
  return {
    targetId: target.id,
    from,
    to: step.state,
    at: step.at,
    detectedAt: Math.max(detectedAt, step.at),
    previousProbeAt: toDown
      ? nthEarliestBound(downCauses, needed(minDown, step.counts.members))
      : (cause?.previousProbeAt ?? null),
    reason: step.state === "up" || step.state === "unknown" ? null : (cause?.reason ?? null),
    detail: step.state === "up" || step.state === "unknown" ? null : (cause?.detail ?? null),
    service: target.service,
    site: target.site,
    blockedBy: null,
    maintenance: false,
  };
}

/** null (never seen healthy) is the earliest of all. */
function nthEarliestBound(causes: readonly (StoredTransition | null)[], n: number): number | null {
  const bounds = causes.map((c) => c?.previousProbeAt ?? null);
  bounds.sort((a, b) => (a ?? Number.NEGATIVE_INFINITY) - (b ?? Number.NEGATIVE_INFINITY));
  return bounds[Math.min(n, bounds.length) - 1] ?? null;
}

/** The votes kept with a quorum transition. */
export function voteRecords(step: QuorumStep<StoredTransition>): QuorumVoteRecord[] {
  return step.votes.map((v) => ({ vantage: v.vantage, vote: v.vote, since: v.since }));
}
