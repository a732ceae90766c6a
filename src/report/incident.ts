import type { MaintenanceWindow } from "../config/types.js";
import { type MaintenanceInterval, maintenanceIntervals } from "../health/maintenance.js";
import type { Ledger, StoredTransition, TargetFilter } from "../ledger/ledger.js";
import { clip, mergeIntervals, type Window } from "../ledger/outages.js";
import {
  computeReport,
  listOutages,
  type OutageFacts,
  type Report,
  type ReportQuery,
  type TargetIdentity,
  unwatchedByInstance,
} from "./numbers.js";
import { compareText, type MonitorGap, type TimelineRow, timelineRows } from "./timeline.js";

/**
 * A post-incident report's data (SPEC §8 `pantau report`): the figures of `numbers.ts`, a
 * summary of the incident, its outages, the monitor's own gaps, the transition log and one
 * timeline row per target. `readIncident` does the reading; `assembleIncident` is pure.
 */

export type { MonitorGap, SpanKind, TimelineRow, TimelineSpan } from "./timeline.js";

export interface IncidentSummary {
  /** The outage that started first (possibly before the window). */
  firstFailure: OutageFacts | null;
  /** The outage that ended last within the window. */
  lastRecovery: OutageFacts | null;
  /** Outages still open at the window's end. */
  openAtEnd: OutageFacts[];
  /** Time in the window when at least one target was down (the union over targets). */
  impactSeconds: number;
  affectedTargetCount: number;
  /** Targets that spent some of the window degraded. */
  degradedTargetCount: number;
  /** The longest outage by its whole duration (an open one runs to now). */
  longest: OutageFacts | null;
}

/** Where the maintenance shown comes from: the config's windows, or the outages' flags. */
export type MaintenanceSource = "config" | "outage-flags";

export interface IncidentReport {
  window: Window;
  generatedAt: number;
  filter: TargetFilter;
  maintenanceSource: MaintenanceSource;
  /** Availability and outage figures; maintenance is left out only with the config's windows. */
  numbers: Report;
  summary: IncidentSummary;
  /** Outages overlapping the window, by start. */
  outages: OutageFacts[];
  /** Time the monitor was not watching, overlapping the window, by start. */
  gaps: MonitorGap[];
  /** Transitions in the window, by time. */
  transitions: StoredTransition[];
  /** Grouped by service, then site, then target id and instance. */
  timeline: TimelineRow[];
}

/** Everything read from the ledger (and the config) that the report is built from. */
export interface IncidentFacts {
  now: number;
  filter: TargetFilter;
  /** computeReport's figures; its window is the report's. */
  numbers: Report;
  /** Per target (`targetKey`), its last transition before the window. */
  before: ReadonlyMap<string, StoredTransition>;
  transitions: StoredTransition[];
  outages: OutageFacts[];
  gaps: MonitorGap[];
  /** Per target (`targetKey`), the config's maintenance occurrences; null without a config. */
  maintenance: ReadonlyMap<string, MaintenanceInterval[]> | null;
}

export function targetKey(target: { instance: string; targetId: string }): string {
  return `${target.instance}\u0000${target.targetId}`;
}

/**
 * Reads what the report needs over [since, until) (until clamped to now). `windows` are the
 * config's maintenance windows, or null when no config was given: maintenance is then shown
 * from the outages' flags and not left out of availability.
 */
export async function readIncident(
  ledger: Ledger,
  query: ReportQuery,
  now: number,
  windows: readonly MaintenanceWindow[] | null,
): Promise<IncidentReport> {
  // kept as computeReport asks, for the timeline: each target's occurrences are computed once
  const occurrences = new Map<string, MaintenanceInterval[]>();
  const maintenanceOf = (target: TargetIdentity, range: Window): MaintenanceInterval[] => {
    if (windows === null) return [];
    const subject = { id: target.targetId, service: target.service, site: target.site };
    const found = maintenanceIntervals(windows, subject, range.since, range.until);
    occurrences.set(targetKey(target), found);
    return found;
  };
  const numbers = await computeReport(ledger, query, now, maintenanceOf);
  const { window } = numbers;
  const { instance, targetId, service, site } = query;
  const filter: TargetFilter = { instance, targetId, service, site };
  const transitions = await ledger.transitions({ ...filter, ...window });
  const before = await lastTransitionsBefore(ledger, numbers.targets, window.since);
  const outages = await listOutages(ledger, { ...filter, ...window }, now);
  const gaps = await monitorGaps(ledger, instance, window, now);
  const maintenance = windows === null ? null : occurrences;
  return assembleIncident({
    now,
    filter,
    numbers,
    before,
    transitions,
    outages,
    gaps,
    maintenance,
  });
}

async function lastTransitionsBefore(
  ledger: Ledger,
  targets: readonly TargetIdentity[],
  since: number,
): Promise<Map<string, StoredTransition>> {
  const before = new Map<string, StoredTransition>();
  await Promise.all(
    targets.map(async ({ instance, targetId }) => {
      const [last] = await ledger.transitions({ instance, targetId, until: since, limit: 1 });
      if (last !== undefined) before.set(targetKey(last), last);
    }),
  );
  return before;
}

/**
 * The unwatched time `numbers.ts` leaves out of availability, each interval named: a recorded
 * restart or blind gap, or `stopped` (no daemon of the instance running since its last run).
 */
async function monitorGaps(
  ledger: Ledger,
  instance: string | undefined,
  window: Window,
  now: number,
): Promise<MonitorGap[]> {
  const range = { instance, ...window };
  const recorded = await ledger.gaps(range);
  const unwatched = await unwatchedByInstance(ledger, await ledger.runs({}), range, now);
  const gaps: MonitorGap[] = [];
  for (const [name, intervals] of unwatched) {
    for (const interval of intervals) {
      if (clip(interval, window) === null) continue;
      const gap = recorded.find(
        (g) => g.instance === name && g.start === interval.start && g.end === interval.end,
      );
      gaps.push({ instance: name, kind: gap?.kind ?? "stopped", ...interval });
    }
  }
  return gaps.sort((a, b) => a.start - b.start || compareText(a.instance, b.instance));
}

/** The report from what was read: pure. */
export function assembleIncident(facts: IncidentFacts): IncidentReport {
  const { numbers, now } = facts;
  const { window } = numbers;
  const timeline = timelineRows({
    targets: numbers.targets,
    window,
    histories: historiesByTarget(facts),
    outages: facts.outages,
    gaps: facts.gaps,
    maintenance: facts.maintenance,
    keyOf: targetKey,
  });
  return {
    window,
    generatedAt: now,
    filter: facts.filter,
    maintenanceSource: facts.maintenance === null ? "outage-flags" : "config",
    numbers,
    summary: summarize(facts.outages, timeline, window),
    outages: facts.outages,
    gaps: facts.gaps,
    transitions: facts.transitions,
    timeline,
  };
}

/** Per target, its last transition before the window and then those in it, by time. */
function historiesByTarget(facts: IncidentFacts): Map<string, StoredTransition[]> {
  const histories = new Map<string, StoredTransition[]>();
  for (const [key, transition] of facts.before) histories.set(key, [transition]);
  for (const transition of facts.transitions) {
    const key = targetKey(transition);
    const list = histories.get(key);
    if (list === undefined) histories.set(key, [transition]);
    else list.push(transition);
  }
  return histories;
}

function summarize(
  outages: readonly OutageFacts[],
  timeline: readonly TimelineRow[],
  window: Window,
): IncidentSummary {
  const ended = outages.filter((o) => o.end !== null && o.end <= window.until);
  const impact = mergeIntervals(
    outages.flatMap((outage) => clip(outage, window) ?? []),
    window.until,
  );
  return {
    firstFailure: first(outages, (a, b) => a.start < b.start),
    lastRecovery: first(ended, (a, b) => (a.end ?? 0) > (b.end ?? 0)),
    openAtEnd: outages.filter((o) => o.end === null || o.end > window.until),
    impactSeconds: impact.reduce((sum, i) => sum + i.end - i.start, 0) / 1000,
    affectedTargetCount: new Set(outages.map(targetKey)).size,
    degradedTargetCount: timeline.filter((row) => row.spans.some((s) => s.kind === "degraded"))
      .length,
    longest: first(outages, (a, b) => a.durationSeconds > b.durationSeconds),
  };
}

/** The first item no other is `better` than (a tie keeps the earlier); null when none. */
function first<T>(items: readonly T[], better: (a: T, b: T) => boolean): T | null {
  let best: T | null = null;
  for (const item of items) if (best === null || better(item, best)) best = item;
  return best;
}
