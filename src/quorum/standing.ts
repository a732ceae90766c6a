import type { Change, Standing, Timeline } from "../health/quorum.js";
import type { Gap, Run } from "../ledger/ledger.js";

/**
 * Whether a vantage takes part, over time, from what the ledger says of its runs (pure): voting
 * from a run's start; dead from its clean stop, or from its last heartbeat once that is older
 * than `deadAfterMs` (a crashed or cut-off daemon says nothing: silence is the only sign); blind
 * while one of its blind gaps is open. An HA pair votes as one vantage: alive while any of its
 * members is.
 */

export interface StandingInput {
  /** The vantage's runs (every member's, for an HA pair), any order. */
  runs: readonly Run[];
  /** Its blind gaps (restart gaps are read from the runs). */
  blind: readonly Gap[];
  deadAfterMs: number;
  now: number;
}

export function standingTimeline(input: StandingInput): Timeline<Standing, never> {
  const alive = aliveIntervals(input);
  const edges: { at: number; alive?: boolean; blind?: boolean }[] = [];
  for (const [start, end] of alive) {
    edges.push({ at: start, alive: true });
    if (end !== null) edges.push({ at: end, alive: false });
  }
  for (const gap of input.blind) {
    if (gap.kind !== "blind") continue;
    edges.push({ at: gap.start, blind: true });
    if (gap.end !== null) edges.push({ at: gap.end, blind: false });
  }
  // at one instant an end goes before a start: a restart at its last heartbeat stays alive
  edges.sort((a, b) => a.at - b.at || rank(a) - rank(b));
  let isAlive = false;
  let isBlind = false;
  let current: Standing = "dead";
  const changes: Change<Standing, never>[] = [];
  for (const edge of edges) {
    if (edge.alive !== undefined) isAlive = edge.alive;
    if (edge.blind !== undefined) isBlind = edge.blind;
    const next: Standing = !isAlive ? "dead" : isBlind ? "blind" : "voting";
    if (next === current) continue;
    current = next;
    const last = changes.at(-1);
    if (last?.at === edge.at) changes.pop();
    if (changes.at(-1)?.value === next) continue;
    changes.push({ at: edge.at, value: next, cause: null });
  }
  return { initial: "dead", changes };
}

/** Ends before starts, at one instant. */
function rank(edge: { alive?: boolean; blind?: boolean }): number {
  return edge.alive === false || edge.blind === false ? 0 : 1;
}

/** Merged [start, end) intervals when some run of the vantage was alive; end null: still is. */
function aliveIntervals({ runs, deadAfterMs, now }: StandingInput): [number, number | null][] {
  const spans = runs
    .map((run): [number, number | null] => {
      if (run.stoppedAt !== null) return [run.startedAt, run.stoppedAt];
      // silent for longer than dead_after: dead from its last sign of life
      if (now - run.lastHeartbeat > deadAfterMs) return [run.startedAt, run.lastHeartbeat];
      return [run.startedAt, null];
    })
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number | null][] = [];
  for (const [start, end] of spans) {
    const last = merged.at(-1);
    if (last !== undefined && (last[1] === null || last[1] >= start)) {
      if (last[1] !== null) last[1] = end === null ? null : Math.max(last[1], end);
      continue;
    }
    merged.push([start, end]);
  }
  return merged;
}
