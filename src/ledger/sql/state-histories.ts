import { TARGET_STATES, type TargetState } from "../../health/types.js";
import type { StateHistory } from "../ledger.js";

/**
 * Groups the rows of `stateHistoryQuery` (by time, every target mixed) into one StateHistory
 * per target, shared by every store. A million rows pass through here for a month of 10,000
 * targets, so it keeps to two map lookups and two array pushes per row.
 */
// each row brings its own copy of the state's name; keeping those would keep a million strings
const SHARED_STATE = new Map<string, TargetState>(TARGET_STATES.map((state) => [state, state]));

/** The one string of each state, for a state read from a row. */
export function sharedState(to: TargetState): TargetState {
  return SHARED_STATE.get(to) ?? to;
}

export class StateHistoryBuilder {
  private readonly byInstance = new Map<string, Map<string, StateHistory>>();
  private readonly histories: StateHistory[] = [];

  // rows of one instance come in long runs (one daemon, or one HA pair): one lookup per run
  private lastInstance: string | null = null;
  private lastTargets = new Map<string, StateHistory>();

  add(instance: string, targetId: string, to: TargetState, at: number): void {
    let targets = instance === this.lastInstance ? this.lastTargets : this.byInstance.get(instance);
    if (targets === undefined) {
      targets = new Map();
      this.byInstance.set(instance, targets);
    }
    this.lastInstance = instance;
    this.lastTargets = targets;
    let history = targets.get(targetId);
    if (history === undefined) {
      history = { instance, targetId, at: [], to: [] };
      targets.set(targetId, history);
      this.histories.push(history);
    }
    history.at.push(at);
    history.to.push(SHARED_STATE.get(to) ?? to);
  }

  /** One per target, in the order each was first seen. */
  result(): StateHistory[] {
    return this.histories;
  }
}
