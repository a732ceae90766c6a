import { describeValue } from "../fields/path-issue.js";
import { formatDuration, parseDuration } from "../fields/units.js";
import { globMatcher } from "../text/glob.js";
import { type Behaviour, DEGRADED_MODES, DOWN_MODES, type DownMode } from "./behaviour.js";
import type { WrittenScenario, WrittenStep, WrittenSwitch } from "./scenario-schema.js";

export type ScenarioErrorCode =
  | "SCENARIO_READ"
  | "SCENARIO_YAML"
  | "SCENARIO_INVALID"
  | "SCENARIO_UNKNOWN_KEY"
  | "SCENARIO_DURATION"
  | "SCENARIO_MODE"
  | "SCENARIO_ORDER"
  | "SCENARIO_UNKNOWN_ENDPOINT";

/** An issue found by key path, before it is given a line and column. */
export interface ScenarioPathIssue {
  code: ScenarioErrorCode;
  path: (string | number)[];
  at: "value" | "key";
  message: string;
}

/** One switch of a step: every endpoint whose id matches `target` (an id or a glob). */
export interface ScenarioSwitch {
  target: string;
  behaviour: Behaviour;
}

export interface ScenarioStep {
  /** Offset from the start of the scenario, in scenario time. */
  atMs: number;
  note: string;
  switches: ScenarioSwitch[];
}

const ENDPOINT_PATTERN = /^[a-z0-9*?][a-z0-9._*?-]*$/;
const OFFSET_HINT = "use e.g. 0s, 30s, 2d, 2d4h";

const issue = (
  code: ScenarioErrorCode,
  path: (string | number)[],
  message: string,
  at: "value" | "key" = "value",
): ScenarioPathIssue => ({ code, path, at, message });

// A date, a time to the minute or finer, and an offset: the instant must be unambiguous.
const START_PATTERN =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Checks what the schema cannot: speed, start, offsets in order, endpoints, behaviour and mode. */
export function checkScenario(
  written: WrittenScenario,
  endpointIds: readonly string[] | null,
): { steps: ScenarioStep[]; startAt: number | null; issues: ScenarioPathIssue[] } {
  const issues: ScenarioPathIssue[] = [];
  if (written.speed !== undefined && !(written.speed > 0)) {
    issues.push(issue("SCENARIO_INVALID", ["speed"], "must be greater than 0"));
  }
  const startAt = checkStart(written.start, issues);
  const steps: ScenarioStep[] = [];
  let previous: number | null = null;
  for (const [index, step] of written.steps.entries()) {
    const atMs = checkOffset(step, index, previous, issues);
    const switches = checkSwitches(step, index, endpointIds, issues);
    if (atMs !== null) previous = atMs;
    steps.push({ atMs: atMs ?? 0, note: step.note, switches });
  }
  return { steps, startAt, issues };
}

/** Date.parse rolls `02-30` over to March: the instant must read back as written. */
function sameCalendarTime(text: string, at: number): boolean {
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(text);
  const sign = offset?.[1] === "-" ? -1 : 1;
  const offsetMs = offset ? sign * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000 : 0;
  return new Date(at + offsetMs).toISOString().slice(0, 16) === text.slice(0, 16);
}

/** `2024-06-19T23:00:00+07:00` → epoch ms; null when absent or not such a time. */
function checkStart(start: string | undefined, issues: ScenarioPathIssue[]): number | null {
  if (start === undefined) return null;
  const at = START_PATTERN.test(start) ? Date.parse(start) : Number.NaN;
  if (Number.isFinite(at) && sameCalendarTime(start, at)) return at;
  const message = `"${start}" is not a time with an offset (use e.g. 2024-06-19T23:00:00+07:00)`;
  issues.push(issue("SCENARIO_INVALID", ["start"], message));
  return null;
}

function checkOffset(
  step: WrittenStep,
  index: number,
  previous: number | null,
  issues: ScenarioPathIssue[],
): number | null {
  const path = ["steps", index, "at"];
  if (step.at === undefined) {
    issues.push(issue("SCENARIO_INVALID", ["steps", index], 'missing required key "at"'));
    return null;
  }
  const atMs = step.at === 0 ? 0 : typeof step.at === "string" ? parseDuration(step.at) : null;
  if (atMs === null) {
    const message = `${describeValue(step.at)} is not an offset (${OFFSET_HINT})`;
    issues.push(issue("SCENARIO_DURATION", path, message));
    return null;
  }
  if (previous !== null && atMs < previous) {
    const message = `${formatDuration(atMs)} is before the previous step's ${formatDuration(previous)}: list steps in time order`;
    issues.push(issue("SCENARIO_ORDER", path, message));
  }
  return atMs;
}

function checkSwitches(
  step: WrittenStep,
  index: number,
  endpointIds: readonly string[] | null,
  issues: ScenarioPathIssue[],
): ScenarioSwitch[] {
  const switches: ScenarioSwitch[] = [];
  for (const [target, written] of Object.entries(step.set ?? {})) {
    const path = ["steps", index, "set", target];
    const targetProblem = checkTarget(target, endpointIds);
    if (targetProblem !== null) issues.push({ ...targetProblem, path, at: "key" });
    const behaviour = toBehaviour(written, path, issues);
    if (behaviour !== null && targetProblem === null) switches.push({ target, behaviour });
  }
  return switches;
}

function checkTarget(
  target: string,
  endpointIds: readonly string[] | null,
): Omit<ScenarioPathIssue, "path" | "at"> | null {
  if (!ENDPOINT_PATTERN.test(target)) {
    const message = `"${target}" is not an endpoint id or glob (use [a-z0-9*?][a-z0-9._*?-]*)`;
    return { code: "SCENARIO_INVALID", message };
  }
  if (endpointIds === null || endpointIds.some(globMatcher(target))) return null;
  return {
    code: "SCENARIO_UNKNOWN_ENDPOINT",
    message: `"${target}" matches no simulated endpoint`,
  };
}

/** The written `{ behaviour, mode, delay }` as a Behaviour, or null after pushing its issues. */
export function toBehaviour(
  written: WrittenSwitch,
  path: (string | number)[],
  issues: ScenarioPathIssue[],
): Behaviour | null {
  const mode = written.mode === undefined ? undefined : String(written.mode);
  const before = issues.length;
  if (written.delay !== undefined && mode !== "slow") {
    issues.push(issue("SCENARIO_MODE", [...path, "delay"], "delay is only for mode slow", "key"));
  }
  if (written.behaviour === "up") {
    if (mode !== undefined) {
      issues.push(issue("SCENARIO_MODE", [...path, "mode"], "behaviour up takes no mode", "key"));
    }
    return issues.length === before ? { behaviour: "up" } : null;
  }
  const modes: readonly string[] = written.behaviour === "down" ? DOWN_MODES : DEGRADED_MODES;
  if (mode === undefined || !modes.includes(mode)) {
    const message =
      mode === undefined
        ? `missing required key "mode" (${written.behaviour}: one of ${modes.join(", ")})`
        : `expected one of ${modes.join(", ")} for behaviour ${written.behaviour}, got ${describeValue(written.mode)}`;
    issues.push(issue("SCENARIO_MODE", mode === undefined ? path : [...path, "mode"], message));
  }
  if (mode === "slow" && modes.includes(mode) && written.delay === undefined) {
    issues.push(issue("SCENARIO_MODE", path, 'missing required key "delay" (mode slow)'));
  }
  if (issues.length > before) return null;
  return toValidBehaviour(written.behaviour, mode as string, written.delay ?? 0);
}

function toValidBehaviour(
  behaviour: "down" | "degraded",
  mode: string,
  delayMs: number,
): Behaviour {
  if (behaviour === "down") return { behaviour, mode: mode as DownMode };
  return mode === "slow" ? { behaviour, mode, delayMs } : { behaviour, mode: "manual" };
}
