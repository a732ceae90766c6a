import type { TargetState } from "../health/types.js";
import { humanDuration } from "../text/duration.js";
import { clockText } from "./status-board.js";

/**
 * The demo's closing summary, read from the ledger the run wrote: every outage, and the time each
 * target spent degraded (an airport's manual passport checks). Times are the scenario's, shown
 * as `+2d 04:00` from its start. Pure: records in, text out.
 */

export interface SummaryOutage {
  targetId: string;
  start: number;
  end: number | null;
  reason: string | null;
  blockedBy: string | null;
}

export interface SummaryTransition {
  targetId: string;
  from: TargetState;
  to: TargetState;
  at: number;
}

/** One stretch a target spent degraded; `end` null while it still is. */
export interface DegradedSpell {
  targetId: string;
  start: number;
  end: number | null;
}

export interface SummaryClock {
  /** The scenario's start. */
  origin: number;
  /** Where open stretches end. */
  now: number;
}

const HEADER_TARGET = "target".padEnd(22);

/** Every outage, ordered by start; how long both for people and to the millisecond. */
export function outageSummary(outages: readonly SummaryOutage[], clock: SummaryClock): string {
  if (outages.length === 0) return "no outages\n";
  const at = (ms: number) => clockText(ms - clock.origin);
  const header = `${HEADER_TARGET} ${"start".padEnd(10)} ${"end".padEnd(10)} ${"down for".padEnd(12)} ${"seconds".padEnd(10)} cause`;
  const rows = [...outages]
    .sort((a, b) => a.start - b.start || a.targetId.localeCompare(b.targetId))
    .map((o) => {
      const seconds = ((o.end ?? clock.now) - o.start) / 1000;
      const cause = o.blockedBy ? `blocked by ${o.blockedBy}` : (o.reason ?? "");
      const end = o.end === null ? "open" : at(o.end);
      return `${cell(o.targetId)} ${at(o.start).padEnd(10)} ${end.padEnd(10)} ${humanDuration(seconds).padEnd(12)} ${String(seconds).padEnd(10)} ${cause}`;
    });
  return `${[header, ...rows].join("\n")}\n`;
}

/** The stretches in degraded: from each →degraded to the target's next transition. */
export function degradedSpells(transitions: readonly SummaryTransition[]): DegradedSpell[] {
  const spells: DegradedSpell[] = [];
  const open = new Map<string, DegradedSpell>();
  const byTime = [...transitions].sort((a, b) => a.at - b.at);
  for (const t of byTime) {
    const spell = open.get(t.targetId);
    if (spell !== undefined) {
      spell.end = t.at;
      open.delete(t.targetId);
    }
    if (t.to !== "degraded") continue;
    const started: DegradedSpell = { targetId: t.targetId, start: t.at, end: null };
    spells.push(started);
    open.set(t.targetId, started);
  }
  return spells;
}

/** Per target: how many spells, the time degraded in all, the first start and the last end. */
export function degradedSummary(spells: readonly DegradedSpell[], clock: SummaryClock): string {
  if (spells.length === 0) return "no target was degraded\n";
  const at = (ms: number) => clockText(ms - clock.origin);
  const byTarget = new Map<string, DegradedSpell[]>();
  for (const spell of spells)
    byTarget.set(spell.targetId, [...(byTarget.get(spell.targetId) ?? []), spell]);
  const header = `${HEADER_TARGET} ${"from".padEnd(10)} ${"to".padEnd(10)} ${"degraded for".padEnd(12)} ${"seconds".padEnd(10)} spells`;
  const rows = [...byTarget.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([targetId, list]) => {
      const ms = list.reduce((sum, s) => sum + (s.end ?? clock.now) - s.start, 0);
      const last = list.at(-1)?.end ?? null;
      const to = last === null ? "open" : at(last);
      const seconds = ms / 1000;
      return `${cell(targetId)} ${at(list[0]?.start ?? 0).padEnd(10)} ${to.padEnd(10)} ${humanDuration(seconds).padEnd(12)} ${String(seconds).padEnd(10)} ${list.length}`;
    });
  return `${[header, ...rows].join("\n")}\n`;
}

function cell(targetId: string): string {
  return targetId.padEnd(22).slice(0, 22);
}
