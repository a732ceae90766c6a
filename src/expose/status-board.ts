import type { TargetState } from "../health/types.js";
import { humanDuration } from "../text/duration.js";

/**
 * The demo's terminal status board: every target grouped by service and site, its committed
 * state, how long it has been in it, and the latest transitions. Pure: text in, text out.
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
  /** For a transition out of down: how long it was down. */
  outageSeconds: number | null;
}

export interface BoardInput {
  title: string;
  rows: readonly BoardRow[];
  /** Newest last; the board shows the last few. */
  transitions: readonly BoardTransition[];
  now: number;
  /** Durations on the board are multiplied by this (a replay at ×3600 shows scenario time). */
  timeScale: number;
  /** The origin of the `+1d 04:00` clock shown for transitions. */
  origin: number;
  colour: boolean;
  maxTransitions?: number;
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

/** `+1d 04:00`: scenario time since the origin. */
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
      const held =
        row.since === null ? "" : humanDuration(((input.now - row.since) * input.timeScale) / 1000);
      const cells = `  ${row.site.padEnd(8).slice(0, 8)} ${row.id.padEnd(22).slice(0, 22)} `;
      lines.push(`${cells}${paint(text.padEnd(28), style, input.colour)} ${held}`);
    }
  }
  return lines;
}

/** `+2d 00:00  simkim-core  down → up (down 2d)`: one transition in scenario time. */
export function transitionLine(
  t: BoardTransition,
  scale: Pick<BoardInput, "origin" | "timeScale">,
): string {
  const when = clockText((t.at - scale.origin) * scale.timeScale);
  const lasted =
    t.outageSeconds === null ? "" : ` (down ${humanDuration(t.outageSeconds * scale.timeScale)})`;
  const reason = t.reason && t.to !== "up" ? ` ${t.reason}` : "";
  return `${when}  ${t.targetId.padEnd(22).slice(0, 22)} ${t.from} → ${t.to}${reason}${lasted}`;
}

function transitionLines(input: BoardInput): string[] {
  const recent = input.transitions.slice(-(input.maxTransitions ?? 8));
  return recent.map((t) => `  ${transitionLine(t, input)}`);
}

export function renderBoard(input: BoardInput): string {
  const header = paint(input.title, "bold", input.colour);
  const clock = `scenario ${clockText((input.now - input.origin) * input.timeScale)}`;
  const transitions = transitionLines(input);
  return [
    `${header}  ${paint(clock, "dim", input.colour)}`,
    "",
    ...rowLines(input),
    "",
    paint("latest transitions", "bold", input.colour),
    ...(transitions.length > 0 ? transitions : ["  (none yet)"]),
    "",
  ].join("\n");
}

export interface BoardOutage {
  targetId: string;
  start: number;
  end: number | null;
  reason: string | null;
  blockedBy: string | null;
}

/** The closing summary: every outage in scenario time, ordered by start. */
export function outageSummary(
  outages: readonly BoardOutage[],
  scale: Pick<BoardInput, "origin" | "timeScale" | "now">,
): string {
  if (outages.length === 0) return "no outages\n";
  const at = (ms: number) => clockText((ms - scale.origin) * scale.timeScale);
  const header = `${"target".padEnd(22)} ${"start".padEnd(10)} ${"end".padEnd(10)} ${"down for".padEnd(12)} cause`;
  const rows = [...outages]
    .sort((a, b) => a.start - b.start || a.targetId.localeCompare(b.targetId))
    .map((o) => {
      const seconds = (((o.end ?? scale.now) - o.start) * scale.timeScale) / 1000;
      const cause = o.blockedBy ? `blocked by ${o.blockedBy}` : (o.reason ?? "");
      const end = o.end === null ? "open" : at(o.end);
      return `${o.targetId.padEnd(22).slice(0, 22)} ${at(o.start).padEnd(10)} ${end.padEnd(10)} ${humanDuration(seconds).padEnd(12)} ${cause}`;
    });
  return `${[header, ...rows].join("\n")}\n`;
}
