import type { Change, Standing, Timeline, VantageTimelines } from "../health/quorum.js";
import type { TargetState } from "../health/types.js";
import type { StoredTransition } from "../ledger/ledger.js";

/**
 * What a decider knows of each vantage's committed states, per target: the state before its
 * horizon and every change since, each with the stored transition that made it. Pure data; the
 * decider feeds it in commit order and prunes what no verdict can need any more.
 */

type StateTimeline = { initial: TargetState; changes: Change<TargetState, StoredTransition>[] };

export class VantageHistory {
  private readonly byTarget = new Map<string, Map<string, StateTimeline>>();

  /** The vantage's state of the target before anything read (its latest transition then). */
  seed(vantage: string, latest: StoredTransition): void {
    const timeline = this.timeline(latest.targetId, vantage);
    timeline.initial = latest.to;
    timeline.changes.length = 0;
    timeline.changes.push({ at: latest.at, value: latest.to, cause: latest });
  }

  /** A transition the vantage committed, read in commit (and so, per target, time) order. */
  add(vantage: string, transition: StoredTransition): void {
    this.timeline(transition.targetId, vantage).changes.push({
      at: transition.at,
      value: transition.to,
      cause: transition,
    });
  }

  targets(): IterableIterator<string> {
    return this.byTarget.keys();
  }

  /** The latest change the vantage committed for the target, or null. */
  latest(targetId: string, vantage: string): Change<TargetState, StoredTransition> | null {
    return this.byTarget.get(targetId)?.get(vantage)?.changes.at(-1) ?? null;
  }

  /** The change in force at `at` (the last one at or before it), or null. */
  changeAt(
    targetId: string,
    vantage: string,
    at: number,
  ): Change<TargetState, StoredTransition> | null {
    const changes = this.byTarget.get(targetId)?.get(vantage)?.changes ?? [];
    for (let i = changes.length - 1; i >= 0; i--) {
      const change = changes[i] as Change<TargetState, StoredTransition>;
      if (change.at <= at) return change;
    }
    return null;
  }

  /** Each vantage's timelines of the target, with the standings given, in vantage order. */
  timelines(
    targetId: string,
    standings: ReadonlyMap<string, Timeline<Standing, never>>,
  ): VantageTimelines<StoredTransition>[] {
    const states = this.byTarget.get(targetId);
    return [...standings.keys()].sort().map((vantage) => ({
      vantage,
      state: states?.get(vantage) ?? { initial: "unknown", changes: [] },
      standing: standingWithCause(standings.get(vantage)),
    }));
  }

  /**
   * Folds changes before `horizon` into the state before it, keeping the last of them (its
   * transition is the cause of a verdict still open).
   */
  prune(targetId: string, horizon: number): void {
    for (const timeline of this.byTarget.get(targetId)?.values() ?? []) {
      let keep = timeline.changes.findIndex((change) => change.at >= horizon);
      if (keep === -1) keep = timeline.changes.length;
      // keep the change in force at the horizon
      const drop = Math.max(0, keep - 1);
      if (drop === 0) continue;
      timeline.initial = (
        timeline.changes[drop - 1] as Change<TargetState, StoredTransition>
      ).value;
      timeline.changes.splice(0, drop);
    }
  }

  private timeline(targetId: string, vantage: string): StateTimeline {
    let states = this.byTarget.get(targetId);
    if (states === undefined) {
      states = new Map();
      this.byTarget.set(targetId, states);
    }
    let timeline = states.get(vantage);
    if (timeline === undefined) {
      timeline = { initial: "unknown", changes: [] };
      states.set(vantage, timeline);
    }
    return timeline;
  }
}

function standingWithCause(
  standing: Timeline<Standing, never> | undefined,
): Timeline<Standing, StoredTransition> {
  return standing ?? { initial: "dead", changes: [] };
}
