import type { MaintenanceWindow } from "../config/types.js";
import { type MaintenanceInterval, maintenanceIntervals } from "../health/maintenance.js";
import type { TargetState } from "../health/types.js";
import type { Ledger, OutageRecord, StoredTransition, TargetFilter } from "../ledger/ledger.js";
import {
  blindIn,
  type ClosedInterval,
  type Interval,
  type TransitionColumns,
  type Window,
} from "../ledger/outages.js";
import { firstRunStart, monitorGaps } from "./monitor-gaps.js";
import {
  listOutages,
  type OutageFacts,
  outageFacts,
  type Report,
  type ReportQuery,
  readReport,
  type TargetHistory,
  type TargetIdentity,
  type TargetReport,
} from "./numbers.js";
import { type RestorationOrder, restorationOrder } from "./restoration.js";
import {
  type HistoryTransition,
  hasDegradedSpan,
  type MonitorGap,
  type MonitorRow,
  monitorRows,
  type TimelineRow,
  timelineRows,
} from "./timeline.js";
import {
  extremes,
  impactSeconds,
  longestOutages,
  type WindowOutage,
  type WindowOutages,
  windowOutage,
  windowOutages,
} from "./window-outages.js";

/**
 * A post-incident report's data (SPEC §8 `pantau report`): the figures of `numbers.ts`, a
 * summary of the incident, its outages, the monitor's own gaps, the transition log and one
 * timeline row per target. Sections that could run to hundreds of thousands of rows (outages,
 * transitions, timeline rows) are bounded: their largest part is listed, and their count.
 */

export type { MonitorGap, MonitorRow, SpanKind, TimelineRow, TimelineSpan } from "./timeline.js";

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
  /** Start of the ledger's first run: before it nothing was observed. null: no run recorded. */
  firstObservation: number | null;
  /** Availability and outage figures; maintenance is left out only with the config's windows. */
  numbers: Report;
  summary: IncidentSummary;
  /** When each affected target and site came back up, in that order. */
  restoration: RestorationOrder;
  /** Outages overlapping the window, by start: all of them, or the longest (see limits). */
  outages: OutageFacts[];
  /** How many outages overlap the window. */
  outageCount: number;
  /** Time the monitor was not watching, overlapping the window, by start. */
  gaps: MonitorGap[];
  /** Transitions in the window, by time: all of them, or the newest (see limits). */
  transitions: StoredTransition[];
  /** How many transitions the window holds. */
  transitionCount: number;
  /** Grouped by service, then site, then target id and instance; possibly a chosen part. */
  timeline: TimelineRow[];
  /** One row per monitor instance of the timeline's rows: when it was watching. */
  monitorTimeline: MonitorRow[];
  /** How many targets the timeline chose from. */
  timelineTargetCount: number;
}

/** How much the report lists in full: beyond these, the largest part and a count of the rest. */
export interface IncidentLimits {
  /** Outages listed: all up to this many, else the longest this many. */
  outages: number;
  /** Transitions listed: the newest this many. */
  transitions: number;
  /** Timeline rows: all targets up to this many, else those with the most outage time. */
  timelineRows: number;
}

export const DEFAULT_INCIDENT_LIMITS: IncidentLimits = {
  outages: 1000,
  transitions: 1000,
  timelineRows: 200,
};

export function targetKey(target: { instance: string; targetId: string }): string {
  return `${target.instance}\u0000${target.targetId}`;
}

/**
 * Reads what the report needs over [since, until) (until clamped to now). `windows` are the
 * config's maintenance windows, or null when no config was given: maintenance is then shown
 * from the outages' flags and not left out of availability. The transitions of the window are
 * read once, leanly; outage records only for what is listed and for the summary's extremes.
 */
export async function readIncident(
  ledger: Ledger,
  query: ReportQuery,
  now: number,
  windows: readonly MaintenanceWindow[] | null,
  limits: IncidentLimits = DEFAULT_INCIDENT_LIMITS,
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
  const reading = await readReport(ledger, query, now, maintenanceOf);
  const { report: numbers, histories } = reading;
  const { window } = numbers;
  const { instance, targetId, service, site } = query;
  const filter: TargetFilter = { instance, targetId, service, site };
  // outages whose end the window's transitions do not show: open at its end, or ending at it
  const atEnd = await outagesAtEnd(ledger, filter, histories, window.until);
  const inWindow = windowOutages(histories, window, atEnd, targetKey);
  const facts = (records: readonly OutageRecord[]) => outageFacts(ledger, records, instance, now);
  const listed =
    inWindow.count <= limits.outages
      ? await listOutages(ledger, { ...filter, ...window }, now)
      : await facts(await recordsOf(ledger, longestOutages(inWindow, limits.outages, now)));
  const summary = await summarize(ledger, inWindow, window, now, facts, await facts(atEnd));
  summary.degradedTargetCount = histories.filter((h) => hasDegradedSpan(h.history, window)).length;
  const transitions = await ledger.transitions({
    ...filter,
    ...window,
    limit: limits.transitions,
  });
  const runs = await ledger.runs({});
  const firstObservation = firstRunStart(runs);
  const gaps = await monitorGaps(ledger, runs, instance, window, now);
  const restoration = restorationOrder(
    histories,
    window,
    excludedOf(reading.unwatched, occurrences, window),
  );
  const shown = timelineTargets(numbers.targets, limits.timelineRows);
  const timelineOutages =
    inWindow.count <= limits.outages ? listed : await outagesOfTargets(ledger, shown, window, now);
  const timeline = timelineRows({
    targets: shown,
    window,
    histories: await historiesWithCauses(ledger, shown, window, leanHistories(filter, histories)),
    outages: timelineOutages,
    gaps,
    maintenance: windows === null ? null : occurrences,
    firstObservation,
    restoration: new Map(restoration.targets.map((target) => [targetKey(target), target])),
    keyOf: targetKey,
  });
  return {
    window,
    generatedAt: now,
    filter,
    maintenanceSource: windows === null ? "outage-flags" : "config",
    firstObservation,
    numbers,
    summary,
    restoration,
    outages: listed,
    outageCount: inWindow.count,
    gaps,
    transitions,
    transitionCount: reading.transitionCount,
    timeline,
    monitorTimeline: monitorRows(timeline, gaps, window),
    timelineTargetCount: numbers.targets.length,
  };
}

/**
 * Availability's own exclusions (gaps, then maintenance), so that a target's restoration counts
 * the time its figures count; an instance's gaps are merged once for its targets without
 * maintenance.
 */
function excludedOf(
  unwatched: ReadonlyMap<string, Interval[]>,
  occurrences: ReadonlyMap<string, MaintenanceInterval[]>,
  window: Window,
): (target: TargetIdentity) => ClosedInterval[] {
  const none: Interval[] = [];
  const blindByInstance = new Map<string, ClosedInterval[]>();
  return (target) => {
    const gaps = unwatched.get(target.instance) ?? none;
    const maintenance = occurrences.get(targetKey(target)) ?? none;
    if (maintenance.length > 0) return blindIn([...gaps, ...maintenance], window);
    let blind = blindByInstance.get(target.instance);
    if (blind === undefined) {
      blind = blindIn(gaps, window);
      blindByInstance.set(target.instance, blind);
    }
    return blind;
  };
}

/**
 * Each target's last transition before the window and those in it, with the cause of each
 * →degraded: a degraded span's note says it, and nothing else of the timeline reads a cause.
 * A target's lean history (from `lean`, when given) serves as it is unless it enters degraded;
 * only those targets' transitions are read whole (one read each, spread over the whole table).
 */
async function historiesWithCauses(
  ledger: Ledger,
  targets: readonly TargetIdentity[],
  window: Window,
  lean: ReadonlyMap<string, TransitionColumns> | null,
): Promise<Map<string, HistoryTransition[]>> {
  const histories = new Map<string, HistoryTransition[]>();
  await Promise.all(
    targets.map(async ({ instance, targetId }) => {
      const target = { instance, targetId };
      const known = lean?.get(targetKey(target));
      if (known !== undefined && !known.to.includes("degraded")) {
        const { at, to } = known;
        const causeless = at.map((time, i) => ({
          at: time,
          to: to[i] as TargetState,
          reason: null,
          detail: null,
        }));
        histories.set(targetKey(target), causeless);
        return;
      }
      const before = await ledger.transitions({ ...target, until: window.since, limit: 1 });
      const during = await ledger.transitions({ ...target, ...window });
      histories.set(targetKey(target), [...before, ...during]);
    }),
  );
  return histories;
}

/**
 * The figures' histories by target, when they are each target's whole history in the window:
 * not with a service or site filter, which reads only the transitions recorded under it.
 */
function leanHistories(
  filter: TargetFilter,
  histories: readonly TargetHistory[],
): Map<string, TransitionColumns> | null {
  if (filter.service !== undefined || filter.site !== undefined) return null;
  return new Map(histories.map(({ identity, history }) => [targetKey(identity), history]));
}

/**
 * The records of outages that start before `until` and do not end before it, by start then id:
 * the open ones (an index on the open ones), then one seek for each target whose history ends
 * down without an open record (closed at or after `until`). One range over the start index
 * would read every earlier outage: half a million for a month.
 */
async function outagesAtEnd(
  ledger: Ledger,
  filter: TargetFilter,
  histories: readonly TargetHistory[],
  until: number,
): Promise<OutageRecord[]> {
  const open = await ledger.outages({ ...filter, open: true, until });
  const openTargets = new Set(open.map(targetKey));
  const closedLater = histories.filter(
    ({ identity, history: { to } }) =>
      to[to.length - 1] === "down" && !openTargets.has(targetKey(identity)),
  );
  const found = await Promise.all(
    closedLater.map(async ({ identity: { instance, targetId }, history: { at } }) => {
      const records = await ledger.outages({ instance, targetId, since: until - 1, until });
      // the one its last →down opened (and so of the service and site the filter matched)
      return records.filter((record) => record.start === at[at.length - 1]);
    }),
  );
  return [...open, ...found.flat()].sort((a, b) => a.start - b.start || a.id - b.id);
}

/** The records of `outages` (one seek each), by start then id. */
async function recordsOf(
  ledger: Ledger,
  outages: readonly WindowOutage[],
): Promise<OutageRecord[]> {
  const found = await Promise.all(
    outages.map(async ({ target, start }) => {
      const { instance, targetId } = target;
      const records = await ledger.outages({ instance, targetId, since: start, until: start + 1 });
      return records.filter((record) => record.start === start);
    }),
  );
  return found.flat().sort((a, b) => a.start - b.start || a.id - b.id);
}

/** The summary's extremes are read as records: the first of the ledger's order wins a tie. */
async function summarize(
  ledger: Ledger,
  inWindow: WindowOutages,
  window: Window,
  now: number,
  facts: (records: readonly OutageRecord[]) => Promise<OutageFacts[]>,
  atEnd: readonly OutageFacts[],
): Promise<IncidentSummary> {
  const { start } = inWindow;
  const extreme = extremes(inWindow, window.until, now);
  // of tied outages the ledger lists the earliest start first (then the lowest id): read those
  const startOf = (i: number) => start[i] as number;
  const firstOf = async (tied: readonly number[]) => {
    const earliest = tied.reduce((min, i) => Math.min(min, startOf(i)), Number.POSITIVE_INFINITY);
    const chosen = tied
      .filter((i) => startOf(i) === earliest)
      .map((i) => windowOutage(inWindow, i));
    return (await facts(await recordsOf(ledger, chosen)))[0] ?? null;
  };
  return {
    firstFailure: await firstOf(extreme.firstStarted),
    lastRecovery: await firstOf(extreme.lastEnded),
    openAtEnd: atEnd.filter((o) => o.end === null || o.end > window.until),
    impactSeconds: impactSeconds(inWindow, window),
    affectedTargetCount: inWindow.affectedTargetCount,
    degradedTargetCount: 0, // from the histories, by the caller
    longest: await firstOf(extreme.longest),
  };
}

/** All targets up to `limit`, else the `limit` with the most outage time (ties: report order). */
function timelineTargets(targets: readonly TargetReport[], limit: number): TargetReport[] {
  if (targets.length <= limit) return [...targets];
  const chosen = new Set(
    [...targets]
      .map((target, index) => ({ target, index }))
      .sort(
        (a, b) => b.target.totalOutageSeconds - a.target.totalOutageSeconds || a.index - b.index,
      )
      .slice(0, limit)
      .map(({ target }) => target),
  );
  return targets.filter((target) => chosen.has(target));
}

async function outagesOfTargets(
  ledger: Ledger,
  targets: readonly TargetIdentity[],
  window: Window,
  now: number,
): Promise<OutageFacts[]> {
  const lists = await Promise.all(
    targets.map(({ instance, targetId }) => ledger.outages({ instance, targetId, ...window })),
  );
  // the records of every target first, then their figures with the gaps read once
  const instance =
    new Set(targets.map((t) => t.instance)).size === 1 ? targets[0]?.instance : undefined;
  return outageFacts(ledger, lists.flat(), instance, now);
}
