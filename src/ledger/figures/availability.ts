import { compareText } from "../../text/compare.js";
import type { Ledger, StateHistory, StoredTransition, TargetFilter } from "../ledger.js";
import type { ClosedInterval, Interval, Window } from "../outages.js";
import {
  type AvailabilitySummary,
  blindIn,
  rollUp,
  summarizeColumns,
  type TransitionColumns,
} from "../window-summary.js";
import { unwatchedByInstance } from "./unwatched.js";

/**
 * The figures of `/api/v1/report` (docs/states-and-outages.md), read from a ledger: per target, rolled up
 * per service, per site and in total. The arithmetic is `ledger/outages.ts`; this module only
 * gathers its inputs.
 */

export interface ReportQuery extends TargetFilter {
  since: number;
  until: number;
}

/** Which timeline a row is: a target of one daemon instance, as last recorded in the window. */
export interface TargetIdentity {
  instance: string;
  targetId: string;
  service: string;
  site: string;
}

export type TargetReport = TargetIdentity & AvailabilitySummary;
export type ServiceReport = { service: string; targetCount: number } & AvailabilitySummary;
export type SiteReport = { site: string; targetCount: number } & AvailabilitySummary;
export type TotalReport = { targetCount: number } & AvailabilitySummary;

export interface Report {
  /** The window computed: `until` is clamped to now, since the future is not known yet. */
  window: Window;
  /** Sorted by target id, then instance. */
  targets: TargetReport[];
  /** Sorted by name; a target with no service or site rolls up under "". */
  services: ServiceReport[];
  sites: SiteReport[];
  total: TotalReport;
}

/**
 * Availability and outage figures over [since, until) for every target the ledger knows a state
 * of in that window. Reads each target's last transition before the window and before its end
 * (one indexed seek per target each) and the window's transitions in one lean pass.
 * Maintenance is not in the ledger: `maintenanceOf` gives each target's windows over the
 * range (from the config; none without one), and that time is left out of availability.
 */
export async function computeReport(
  ledger: Ledger,
  query: ReportQuery,
  now: number,
  maintenanceOf: MaintenanceOf = () => [],
): Promise<Report> {
  return (await readReport(ledger, query, now, maintenanceOf)).report;
}

export type MaintenanceOf = (target: TargetIdentity, window: Window) => Interval[];

/** The figures and what they were computed from, which the incident report reuses. */
export interface ReportReading {
  report: Report;
  /** One per target of `report.targets`, in the same order. */
  histories: TargetHistory[];
  /** Transitions in the window. */
  transitionCount: number;
  /** Per instance, the time no daemon was watching (see unwatchedByInstance). */
  unwatched: Map<string, Interval[]>;
}

export async function readReport(
  ledger: Ledger,
  query: ReportQuery,
  now: number,
  maintenanceOf: MaintenanceOf = () => [],
): Promise<ReportReading> {
  const window = { since: query.since, until: Math.max(query.since, Math.min(query.until, now)) };
  const filter = targetFilterOf(query);
  const runs = await ledger.runs({});
  const { histories, transitionCount } = await targetHistories(ledger, filter, window);
  const unwatched = await unwatchedByInstance(
    ledger,
    runs,
    { instance: query.instance, ...window },
    now,
  );
  const none: Interval[] = [];
  const blindByInstance = new Map<string, ClosedInterval[]>();
  const blindOf = (instance: string) => {
    let blind = blindByInstance.get(instance);
    if (blind === undefined) {
      blind = blindIn(unwatched.get(instance) ?? none, window);
      blindByInstance.set(instance, blind);
    }
    return blind;
  };
  const targets = histories.map(({ identity, history }) =>
    targetReport(
      identity,
      summarizeColumns(
        history,
        window,
        unwatched.get(identity.instance) ?? none,
        maintenanceOf(identity, window),
        blindOf(identity.instance),
      ),
    ),
  );
  const order = targets.map((_, index) => index);
  order.sort((a, b) => compareTargets(targets[a], targets[b]));
  const sorted = order.map((index) => targets[index] as TargetReport);
  const report: Report = {
    window,
    targets: sorted,
    services: groupBy(sorted, (t) => t.service).map(([service, group]) => ({
      service,
      ...rollUpGroup(group),
    })),
    sites: groupBy(sorted, (t) => t.site).map(([site, group]) => ({
      site,
      ...rollUpGroup(group),
    })),
    total: rollUpGroup(sorted),
  };
  return {
    report,
    histories: order.map((index) => histories[index] as TargetHistory),
    transitionCount,
    unwatched,
  };
}

/**
 * Field by field, not by spread: a spread of this many fields makes slow (dictionary) objects,
 * which the roll-ups then read 10,000 at a time.
 */
function targetReport(identity: TargetIdentity, summary: AvailabilitySummary): TargetReport {
  return {
    instance: identity.instance,
    targetId: identity.targetId,
    service: identity.service,
    site: identity.site,
    availability: summary.availability,
    upSeconds: summary.upSeconds,
    degradedSeconds: summary.degradedSeconds,
    downSeconds: summary.downSeconds,
    unknownSeconds: summary.unknownSeconds,
    blindSeconds: summary.blindSeconds,
    maintenanceSeconds: summary.maintenanceSeconds,
    observedSeconds: summary.observedSeconds,
    outageCount: summary.outageCount,
    startedOutageCount: summary.startedOutageCount,
    endedOutageCount: summary.endedOutageCount,
    endedOutageSeconds: summary.endedOutageSeconds,
    totalOutageSeconds: summary.totalOutageSeconds,
    longestOutageSeconds: summary.longestOutageSeconds,
    mttrSeconds: summary.mttrSeconds,
    mtbfSeconds: summary.mtbfSeconds,
  };
}

function compareTargets(a: TargetReport | undefined, b: TargetReport | undefined): number {
  if (a === undefined || b === undefined) return 0;
  return compareText(a.targetId, b.targetId) || compareText(a.instance, b.instance);
}

export interface TargetHistory {
  identity: TargetIdentity;
  /** The last transition before the window (if any), then those in it, by time. */
  history: TransitionColumns;
}

/**
 * Every target with a known state in the window: its last transition before the window, those
 * in it, and (for its identity, as last recorded) its last one before the window's end.
 */
async function targetHistories(
  ledger: Ledger,
  filter: TargetFilter,
  window: Window,
): Promise<{ histories: TargetHistory[]; transitionCount: number }> {
  const lastBeforeEnd = await ledger.lastTransitionsBefore({ ...filter, before: window.until });
  const before = new Map<string, StoredTransition>();
  for (const t of await ledger.lastTransitionsBefore({ ...filter, before: window.since })) {
    before.set(targetKey(t), t);
  }
  const during = new Map<string, StateHistory>();
  let transitionCount = 0;
  for (const history of await ledger.stateHistories({ ...filter, ...window })) {
    during.set(targetKey(history), history);
    transitionCount += history.at.length;
  }
  const histories: TargetHistory[] = [];
  for (const last of lastBeforeEnd) {
    const key = targetKey(last);
    const inWindow = during.get(key);
    // a target that stayed unknown through the window was never judged in it: not a row
    if (inWindow === undefined && last.to === "unknown") continue;
    histories.push({ identity: identityOf(last), history: historyOf(before.get(key), inWindow) });
  }
  return { histories, transitionCount };
}

/** The transition before the window (if any), then the window's, as columns (no copy if none before). */
function historyOf(
  first: StoredTransition | undefined,
  inWindow: StateHistory | undefined,
): TransitionColumns {
  const at = inWindow?.at ?? [];
  const to = inWindow?.to ?? [];
  if (first === undefined) return { at, to };
  return { at: [first.at, ...at], to: [first.to, ...to] };
}

/** A target of one daemon instance, as a map key. */
export function targetKey(t: { instance: string; targetId: string }): string {
  return `${t.instance}\u0000${t.targetId}`;
}

function identityOf(t: StoredTransition): TargetIdentity {
  return { instance: t.instance, targetId: t.targetId, service: t.service, site: t.site };
}

export function targetFilterOf({ instance, targetId, service, site }: TargetFilter): TargetFilter {
  return { instance, targetId, service, site };
}

function rollUpGroup(group: readonly TargetReport[]): TotalReport {
  return { targetCount: group.length, ...rollUp(group) };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return [...groups.entries()].sort(([a], [b]) => compareText(a, b));
}
