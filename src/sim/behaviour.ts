import { formatDuration } from "../fields/units.js";

/**
 * What a simulated endpoint does with a request. `up` answers at once; `down` refuses
 * connections, answers 503 or never answers; `degraded` answers late or reports manual mode.
 */
export type DownMode = "refused" | "503" | "hang";
export type DegradedMode = "slow" | "manual";

export type Behaviour =
  | { behaviour: "up" }
  | { behaviour: "down"; mode: DownMode }
  | { behaviour: "degraded"; mode: "slow"; delayMs: number }
  | { behaviour: "degraded"; mode: "manual" };

export const UP: Behaviour = { behaviour: "up" };

export const DOWN_MODES: readonly DownMode[] = ["refused", "503", "hang"];
export const DEGRADED_MODES: readonly DegradedMode[] = ["slow", "manual"];

/** `up`, `down (refused)`, `degraded (slow 6m)`: for logs. */
export function describeBehaviour(behaviour: Behaviour): string {
  if (behaviour.behaviour === "up") return "up";
  if (behaviour.mode === "slow") return `degraded (slow ${formatDuration(behaviour.delayMs)})`;
  return `${behaviour.behaviour} (${behaviour.mode})`;
}
