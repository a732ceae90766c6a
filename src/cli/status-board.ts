import type { TargetState } from "../health/types.js";
import { humanDuration } from "../text/duration.js";

/**
 * The demo's terminal status board: what the scenario is doing, every target grouped by service
 * and site with its committed state and how long it has been in it, and the latest transitions.
 * The demo's daemon runs on the scenario's clock, so every time here is scenario time.
 * Pure: text in, text out.
 */

export interface BoardRow {
  id: string;
  service: string;
  site: string;
  state: TargetState;
  /** `at` of the transition into `state`; null when never judged. */
  since: number | null;
  blockedBy: string | null;
  maintenance: boolean;
}

export interface BoardTransition {
  at: number;
  targetId: string;
  from: TargetState;
  to: TargetState;
  reason: string | null;
  /** For a transition out of down or degraded: how long the target was in it. */
  lastedSeconds: number | null;
}

/** A scenario step's note, as played. */
export interface BoardNote {
  /** Wall time (scenario clock) the step was applied. */
  at: number;
  text: string;
}

export interface BoardInput {
  title: string;
  rows: readonly BoardRow[];
  /** In any order: the board shows the latest few by `at`. */
  transitions: readonly BoardTransition[];
  /** Oldest first: the board shows the latest few. */
  notes: readonly BoardNote[];
  now: number;
  /** The scenario's start: the origin of the `+1d 04:00` clock. */
  origin: number;
  colour: boolean;
  /** Notes are wrapped to this many columns. */
  width?: number;
  maxTransitions?: number;
  maxNotes?: number;
}

const ANSI: Record<TargetState | "blocked" | "dim" | "bold", string> = {
  up: "\x1b[32m",
  degraded: "\x1b[33m",
  down: "\x1b[31m",
  blocked: "\x1b[35m",
  unknown: "\x1b[90m",
  dim: "\x1b[2m",
  bold: "\x1b[1m",
};
const RESET = "\x1b[0m";

function paint(text: string, style: keyof typeof ANSI, colour: boolean): string {
  return colour ? `${ANSI[style]}${text}${RESET}` : text;
}

/** `up`, `DOWN`, `DOWN ← simkim-core`: the state in words, so colour is never the only cue. */
function stateText(row: BoardRow): { text: string; style: keyof typeof ANSI } {
  const maintenance = row.maintenance ? " [maint]" : "";
  if (row.state === "down" && row.blockedBy) {
    return { text: `DOWN ← ${row.blockedBy}${maintenance}`, style: "blocked" };
  }
  const word = row.state === "down" ? "DOWN" : row.state === "degraded" ? "DEGRADED" : row.state;
  return { text: `${word}${maintenance}`, style: row.state };
}

/** `+1d 04:00`: time since the scenario's start. */
export function clockText(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(minutes / 1440);
  const hh = String(Math.floor((minutes % 1440) / 60)).padStart(2, "0");
  const mm = String(minutes % 60).padStart(2, "0");
  return `+${days}d ${hh}:${mm}`;
}

function groupRows(rows: readonly BoardRow[]): [string, BoardRow[]][] {
  const groups = new Map<string, BoardRow[]>();
  for (const row of rows) {
    const list = groups.get(row.service) ?? [];
    list.push(row);
    groups.set(row.service, list);
  }
  for (const list of groups.values())
    list.sort((a, b) => a.site.localeCompare(b.site) || a.id.localeCompare(b.id));
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

function rowLines(input: BoardInput): string[] {
  const lines: string[] = [];
  for (const [service, rows] of groupRows(input.rows)) {
    lines.push(paint(service || "(no service)", "bold", input.colour));
    for (const row of rows) {
      const { text, style } = stateText(row);
      const held = row.since === null ? "" : humanDuration((input.now - row.since) / 1000);
      const cells = `  ${row.site.padEnd(8).slice(0, 8)} ${row.id.padEnd(22).slice(0, 22)} `;
      const state = paint(held === "" ? text : text.padEnd(28), style, input.colour);
      lines.push(held === "" ? `${cells}${state}` : `${cells}${state} ${held}`);
    }
  }
  return lines;
}

/** `+2d 00:00  simkim-core  down → up (down 2d)`: one transition. */
export function transitionLine(t: BoardTransition, origin: number): string {
  const when = clockText(t.at - origin);
  const lasted = t.lastedSeconds === null ? "" : ` (${t.from} ${humanDuration(t.lastedSeconds)})`;
  const reason = t.reason && t.to !== "up" ? ` ${t.reason}` : "";
  return `${when}  ${t.targetId.padEnd(22).slice(0, 22)} ${t.from} → ${t.to}${reason}${lasted}`;
}

/** The latest transitions by `at`: they are committed when detected, which is not in `at` order. */
export function latestTransitions(
  transitions: readonly BoardTransition[],
  count: number,
): BoardTransition[] {
  const byTime = [...transitions].sort(
    (a, b) => a.at - b.at || a.targetId.localeCompare(b.targetId),
  );
  return byTime.slice(-count);
}

function transitionLines(input: BoardInput): string[] {
  const recent = latestTransitions(input.transitions, input.maxTransitions ?? 8);
  return recent.map((t) => `  ${transitionLine(t, input.origin)}`);
}

function noteLines(input: BoardInput): string[] {
  const width = Math.max(40, input.width ?? 100);
  const recent = input.notes.slice(-(input.maxNotes ?? 3));
  return recent.flatMap((note, index) => {
    const when = clockText(note.at - input.origin);
    const latest = index === recent.length - 1;
    const lines = wrap(note.text, width - when.length - 4);
    const indent = " ".repeat(when.length + 4);
    return lines.map((line, i) => {
      const text = i === 0 ? `  ${when}  ${line}` : `${indent}${line}`;
      return latest ? text : paint(text, "dim", input.colour);
    });
  });
}

/** Words onto lines of at most `width` columns (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line = `${line} ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

export function renderBoard(input: BoardInput): string {
  const header = paint(input.title, "bold", input.colour);
  const clock = `scenario ${clockText(input.now - input.origin)}`;
  const notes = noteLines(input);
  const transitions = transitionLines(input);
  return [
    `${header}  ${paint(clock, "dim", input.colour)}`,
    "",
    paint("what is happening", "bold", input.colour),
    ...(notes.length > 0 ? notes : ["  (the scenario has not started)"]),
    "",
    ...rowLines(input),
    "",
    paint("latest transitions", "bold", input.colour),
    ...(transitions.length > 0 ? transitions : ["  (none yet)"]),
    "",
  ].join("\n");
}
