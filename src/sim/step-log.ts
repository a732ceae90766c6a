import { formatDuration } from "../fields/units.js";
import { describeBehaviour } from "./behaviour.js";
import type { Scenario, ScenarioStep } from "./scenario.js";

/** `+2d1h  simkim-core → up; autogate-* → degraded (manual)  # the note`: one line per step. */
export function formatStep(step: ScenarioStep): string {
  const switches = step.switches
    .map((change) => `${change.target} → ${describeBehaviour(change.behaviour)}`)
    .join("; ");
  const at = `+${formatDuration(step.atMs)}`;
  return switches === "" ? `${at}  # ${step.note}` : `${at}  ${switches}  # ${step.note}`;
}

/** `scenario pdns-2024: 19 steps over 3d14h at 3600× (1m26s)`. */
export function formatScenarioStart(scenario: Scenario, speed: number): string {
  const last = scenario.steps.at(-1)?.atMs ?? 0;
  const steps = `${scenario.steps.length} step${scenario.steps.length === 1 ? "" : "s"}`;
  const real = formatDuration(Math.round(last / speed));
  return `scenario ${scenario.name}: ${steps} over ${formatDuration(last)} at ${speed}× (${real})`;
}
