import type { MaintenanceWindow } from "../../config/types.js";
import { type MaintenanceInterval, maintenanceIntervals } from "../../health/maintenance.js";
import type { TargetState } from "../../health/types.js";
import type { Ledger, OutageRecord, StoredTransition, TargetFilter } from "../ledger.js";
import type { ClosedInterval, Interval, Window } from "../outages.js";
import { blindIn, type TransitionColumns } from "../window-summary.js";
import {
  type Report,
  type ReportQuery,
  readReport,
  type TargetHistory,
  type TargetIdentity,
  type TargetReport,
  targetKey,
} from "./availability.js";
import {
  type IncidentSummary,
  outagesAtEnd,
  outagesOfTargets,
  recordsOf,
  summarize,
} from "./incident-outages.js";
import { listOutages, type OutageFacts, outageFacts } from "./outage-facts.js";
import type { QuorumView } from "./quorum-view.js";
import { type RestorationOrder, restorationOrder } from "./restoration.js";
import {
  type HistoryTransition,
  hasDegradedSpan,
  type MonitorRow,
  monitorRows,
  type TimelineRow,
  timelineRows,
} from "./timeline-rows.js";
import { firstRunStart, type MonitorGap, monitorGaps } from "./unwatched.js";
import { longestOutages, windowOutages } from "./window-outages.js";

/**
 * A post-incident report's data (`pantau report`, docs/cli.md): the figures of `availability.ts`, a
 * summary of the incident, its restoration order, its outages, the monitor's own gaps, the
 * transition log and one timeline row per target. Sections that could run to hundreds of
 * thousands of rows (outages, transitions, timeline rows) are bounded: their largest part is
 * listed, and their count.
 */

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
  /** For a quorum group's report (`--quorum`): its vantages' matrix; else absent. */
  quorum?: QuorumView;
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
