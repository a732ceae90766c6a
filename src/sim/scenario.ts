import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { createLocator } from "../config/locate.js";
import { schemaIssues } from "../config/schema-issues.js";
import { formatPath } from "../fields/path-issue.js";
import {
  checkScenario,
  type ScenarioErrorCode,
  type ScenarioPathIssue,
  type ScenarioStep,
} from "./scenario-checks.js";
import { writtenScenario } from "./scenario-schema.js";

export type { ScenarioErrorCode, ScenarioStep, ScenarioSwitch } from "./scenario-checks.js";

/** A timeline of behaviour switches, validated. docs/scenarios.md describes the file. */
export interface Scenario {
  file: string;
  name: string;
  description: string;
  /** The speed factor to play at unless told otherwise (1: real time). */
  speed: number;
  /** The wall time (epoch ms) offset 0 stands for, when the file gives one (`start`). */
  startAt: number | null;
  /** In time order; steps at the same offset keep their written order. */
  steps: ScenarioStep[];
}

/** One problem in a scenario file, located as `FILE:LINE:COL: path: message`. */
export interface ScenarioIssue {
  code: ScenarioErrorCode;
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export type ScenarioLoadResult =
  | { ok: true; scenario: Scenario }
  | { ok: false; issues: ScenarioIssue[] };

export interface ScenarioOptions {
  /** Ids the scenario may switch: every `set` key must match one. Null: not checked. */
  endpointIds: readonly string[] | null;
}

export function formatScenarioIssue(issue: ScenarioIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.col}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export async function loadScenario(
  file: string,
  options: ScenarioOptions,
): Promise<ScenarioLoadResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
    const message = `cannot read the scenario file (${reason})`;
    return {
      ok: false,
      issues: [{ code: "SCENARIO_READ", file, line: 1, col: 1, path: "", message }],
    };
  }
  return parseScenario(text, file, options);
}

/** Pure: YAML text → the scenario, or every issue found, in document order. */
export function parseScenario(
  text: string,
  file: string,
  options: ScenarioOptions,
): ScenarioLoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const { line, col } = lineCounter.linePos(syntax.pos[0]);
    const first = syntax.message.split("\n")[0] ?? "";
    const message = `${first.charAt(0).toLowerCase()}${first.slice(1)}`;
    return { ok: false, issues: [{ code: "SCENARIO_YAML", file, line, col, path: "", message }] };
  }
  const failed = (found: ScenarioPathIssue[]): ScenarioLoadResult => {
    const locate = createLocator(doc, lineCounter);
    const issues = found.map((issue) => ({
      code: issue.code,
      file,
      ...locate(issue.path, issue.at),
      path: formatPath(issue.path),
      message: issue.message,
    }));
    return { ok: false, issues: issues.sort((a, b) => a.line - b.line || a.col - b.col) };
  };
  const parsed = writtenScenario.safeParse(doc.toJS() ?? {}, { reportInput: true });
  if (!parsed.success) return failed(fromSchema(parsed.error));
  const checked = checkScenario(parsed.data, options.endpointIds);
  if (checked.issues.length > 0) return failed(checked.issues);
  const { name, description, speed } = parsed.data;
  const scenario = { file, name, description: description ?? "", speed: speed ?? 1 };
  return { ok: true, scenario: { ...scenario, startAt: checked.startAt, steps: checked.steps } };
}

const CODES: Record<string, ScenarioErrorCode> = {
  CONFIG_UNKNOWN_KEY: "SCENARIO_UNKNOWN_KEY",
  CONFIG_DURATION: "SCENARIO_DURATION",
};

/** The config loader's wording of zod's issues, under scenario codes. */
function fromSchema(error: Parameters<typeof schemaIssues>[0]): ScenarioPathIssue[] {
  return schemaIssues(error, writtenScenario).map((issue) => ({
    code: CODES[issue.code] ?? "SCENARIO_INVALID",
    path: [...issue.path],
    at: issue.at,
    message: issue.message,
  }));
}
