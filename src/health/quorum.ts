import type { TargetState } from "./types.js";

/**
 * The quorum verdict (docs/quorum.md), pure. Several daemons at different places (vantages)
 * watch the same targets; a target's group state is decided from their committed states:
 * - a vantage votes while it is running and can see (`voting`): a blind vantage (every canary
 *   failing), a dead one (no heartbeat) and one with no verdict yet (`unknown`) do not vote;
 * - `down` while at least `need` voters see it down; otherwise `unknown` while fewer than
 *   `need` vote at all (too few to ever confirm an outage: never read as up); otherwise
 *   `degraded` while at least `need` voters see it degraded or down; otherwise `up`.
 * Each vantage's states are a timeline of its transitions' `at`s, so the group's verdict is a
 * timeline too, with exact times: a quorum outage starts at the `at` of the vantage outage that
 * completed it (the need-th earliest start among those overlapping) and ends at the `at` of the
 * change that broke it, whatever order the vantages' commits arrived in.
 */

/** The chain (ledger instance) a group's verdicts are written under; also its election's name. */
export function quorumChain(group: string): string {
  return `quorum/${group}`;
}

/** A quorum group's name, as config, flags and API parameters take it. */
export const QUORUM_GROUP_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Whether a vantage takes part: running and seeing, running but blind, or not running. */
export type Standing = "voting" | "blind" | "dead";

/** What a vantage counts as at one time. */
export type Vote = TargetState | "blind" | "dead";

/** `min_down`: an absolute count, or a percentage of the group's running vantages. */
export type MinDown = { count: number } | { percent: number };

/** Voters needed for a verdict: a percentage of the running members, rounded up, at least 1. */
export function needed(minDown: MinDown, members: number): number {
  if ("count" in minDown) return minDown.count;
  // integer arithmetic first: 50% of 4 is exactly 2
  return Math.max(1, Math.ceil((minDown.percent * members) / 100 - 1e-9));
}

export interface VoteCounts {
  /** Vantages not dead (blind ones included): what a percentage is of. */
  members: number;
  /** Vantages voting with a verdict (not unknown). */
  voters: number;
  down: number;
  /** Voters seeing it degraded or down. */
  impaired: number;
}

export function countVotes(votes: Iterable<Vote>): VoteCounts {
  const counts: VoteCounts = { members: 0, voters: 0, down: 0, impaired: 0 };
  for (const vote of votes) {
    if (vote === "dead") continue;
    counts.members++;
    if (vote === "blind" || vote === "unknown") continue;
    counts.voters++;
    if (vote === "down") counts.down++;
    if (vote === "down" || vote === "degraded") counts.impaired++;
  }
  return counts;
}

/** The group's state from its votes now. */
export function quorumState(counts: VoteCounts, minDown: MinDown): TargetState {
  const need = needed(minDown, counts.members);
  if (counts.down >= need) return "down";
  if (counts.voters < need) return "unknown";
  if (counts.impaired >= need) return "degraded";
  return "up";
}

/**
 * Down from some voters but short of a quorum, with enough voters to decide: a path problem
 * between those vantages and the target, not an outage.
 */
export function disagrees(counts: VoteCounts, minDown: MinDown): boolean {
  return counts.down > 0 && quorumState(counts, minDown) !== "down";
}

/** One change of a timeline at `at`, with what caused it (a stored transition, say). */
export interface Change<T, C> {
  at: number;
  value: T;
  cause: C | null;
}

/** A value over time: `initial` before the first change; changes ordered by `at`. */
export interface Timeline<T, C> {
  initial: T;
  changes: readonly Change<T, C>[];
}

export interface VantageTimelines<C> {
  vantage: string;
  /** The vantage's committed states of the target. */
  state: Timeline<TargetState, C>;
  standing: Timeline<Standing, C>;
}

export interface VantageVote {
  vantage: string;
  vote: Vote;
  /** When this vote began (its state's or its standing's change, the later); null: before the window. */
  since: number | null;
}

export interface QuorumStep<C> {
  at: number;
  state: TargetState;
  counts: VoteCounts;
  votes: VantageVote[];
  /** The vantage change that made this step (null for the first, the state at `from`). */
  cause: { vantage: string; cause: C | null } | null;
}

interface Event<C> {
  at: number;
  vantage: number;
  kind: "state" | "standing";
  value: TargetState | Standing;
  cause: C | null;
}

/**
 * The group's state from `from` on: the first step is the state at `from` (changes at `from`
 * applied), each next one a change of it, at the `at` of the vantage change that made it.
 * Changes at one instant are applied together before judging, so a simultaneous failure of
 * every vantage is one step.
 */
export function quorumTimeline<C>(
  vantages: readonly VantageTimelines<C>[],
  minDown: MinDown,
  from: number,
): QuorumStep<C>[] {
  const states = vantages.map((v) => v.state.initial);
  const standings = vantages.map((v) => v.standing.initial);
  const since: (number | null)[] = vantages.map(() => null);
  const events: Event<C>[] = [];
  vantages.forEach((v, vantage) => {
    for (const c of v.state.changes)
      events.push({ at: c.at, vantage, kind: "state", value: c.value, cause: c.cause });
    for (const c of v.standing.changes)
      events.push({ at: c.at, vantage, kind: "standing", value: c.value, cause: c.cause });
  });
  // stable: each vantage's changes keep their order within one instant
  events.sort((a, b) => a.at - b.at);
  const apply = (event: Event<C>) => {
    const i = event.vantage;
    const before = voteOf(states[i], standings[i]);
    if (event.kind === "state") states[i] = event.value as TargetState;
    else standings[i] = event.value as Standing;
    if (voteOf(states[i], standings[i]) !== before) since[i] = event.at;
  };
  const judge = () => {
    const votes = vantages.map((_, i) => voteOf(states[i], standings[i]));
    const counts = countVotes(votes);
    return { counts, state: quorumState(counts, minDown) };
  };
  const snapshot = (): VantageVote[] =>
    vantages.map((v, i) => ({
      vantage: v.vantage,
      vote: voteOf(states[i], standings[i]),
      since: since[i] ?? null,
    }));

  let next = 0;
  while (next < events.length && (events[next]?.at ?? Infinity) <= from) {
    apply(events[next] as Event<C>);
    next++;
  }
  const first = judge();
  const steps: QuorumStep<C>[] = [
    { at: from, state: first.state, counts: first.counts, votes: snapshot(), cause: null },
  ];
  let current = first.state;
  while (next < events.length) {
    const at = (events[next] as Event<C>).at;
    let cause: Event<C> | null = null;
    let judged = judge();
    // one instant at a time; the cause is the change after which the state became the final one
    while (next < events.length && (events[next] as Event<C>).at === at) {
      const event = events[next] as Event<C>;
      apply(event);
      const after = judge();
      if (after.state !== judged.state) cause = event;
      judged = after;
      next++;
    }
    if (judged.state === current) continue;
    current = judged.state;
    steps.push({
      at,
      state: judged.state,
      counts: judged.counts,
      votes: snapshot(),
      cause:
        cause === null
          ? null
          : { vantage: vantages[cause.vantage]?.vantage ?? "", cause: cause.cause },
    });
  }
  return steps;
}

function voteOf(state: TargetState | undefined, standing: Standing | undefined): Vote {
  if (standing === "dead" || standing === "blind") return standing;
  return state ?? "unknown";
}
