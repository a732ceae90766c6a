import { globMatcher } from "../text/glob.js";
import { type Behaviour, UP } from "./behaviour.js";
import type { ScenarioStep } from "./scenario-checks.js";

/** One endpoint's behaviour from `atMs` (scenario time) until its next change. */
export interface BehaviourChange {
  atMs: number;
  behaviour: Behaviour;
}

/**
 * What each endpoint does over a scenario: its changes in time order, starting `up` at 0.
 * Pure; tests and docs read a scenario's shape per endpoint from it.
 */
export function behaviourTimeline(
  steps: readonly ScenarioStep[],
  ids: readonly string[],
): Map<string, BehaviourChange[]> {
  const timeline = new Map(ids.map((id): [string, BehaviourChange[]] => [id, []]));
  for (const step of steps) {
    for (const change of step.switches) {
      for (const id of ids.filter(globMatcher(change.target))) {
        timeline.get(id)?.push({ atMs: step.atMs, behaviour: change.behaviour });
      }
    }
  }
  return timeline;
}

/** The behaviour of each endpoint after the last step. */
export function finalBehaviours(
  steps: readonly ScenarioStep[],
  ids: readonly string[],
): Map<string, Behaviour> {
  const timeline = behaviourTimeline(steps, ids);
  return new Map(ids.map((id) => [id, timeline.get(id)?.at(-1)?.behaviour ?? UP]));
}
