import type { EngineListener } from "../engine/engine.js";
import type { FiringAlerts } from "./firing.js";

/**
 * Feeds the engine's committed facts to the firing logic: transitions, then the attribution
 * changes, then the page holds, in the order a commit publishes them. The only place in alert/
 * that knows the engine's events; firing, delivery and channels do not.
 */
export function alertEngineListener(firing: FiringAlerts): EngineListener {
  return (event) => {
    if (event.kind === "committed") {
      firing.recordTransitions(event.transitions);
      firing.reattribute(event.attributions);
      firing.holdsChanged(event.holds);
    } else if (event.kind === "holds") {
      firing.holdsChanged(event.changes);
    }
  };
}
