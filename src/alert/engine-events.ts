import type { EngineSubscriber } from "../engine/engine.js";
import type { FiringAlerts } from "./firing.js";

/** The engine hooks alerting reads; the only place in alert/ that knows the engine's events. */
export type AlertEngineEvents = Required<
  Pick<EngineSubscriber, "transitionsCommitted" | "attributionsCommitted" | "pageHoldsChanged">
>;

/**
 * Feeds committed engine events to the firing logic. When the engine's subscriptions change
 * shape, this adapter changes with them and the firing, delivery and channels do not.
 */
export function alertEngineEvents(firing: FiringAlerts): AlertEngineEvents {
  return {
    transitionsCommitted: (transitions) => firing.recordTransitions(transitions),
    attributionsCommitted: (changes) => firing.reattribute(changes),
    pageHoldsChanged: (changes) => firing.holdsChanged(changes),
  };
}
