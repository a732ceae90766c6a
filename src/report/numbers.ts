import type {
  Ledger,
  OutageRecord,
  Run,
  StoredTransition,
  TargetFilter,
} from "../ledger/ledger.js";
import {
  type AvailabilitySummary,
  blindSecondsOf,
  type Interval,
  rollUp,
  summarizeTarget,
  type Window,
} from "../ledger/outages.js";

/**
 * The figures of SPEC §4 and §7 `/api/v1/report`, read from a ledger: per target, rolled up
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

/** An outage record with its figures as of `now` (SPEC §4). */
export interface OutageFacts extends OutageRecord {
  /** Whole duration in seconds (ms precision); an open outage's runs to now. */
  durationSeconds: number;
  /** How much of it no daemon was watching. */
  blindSeconds: number;
}

/**
 * A run that has not heartbeated for this long is taken as dead (crashed, or its host gone):
 * its time since the last heartbeat is unwatched although no restart gap records it yet.
 */
export const HEARTBEAT_STALE_MS = 60_000;

const MS_PER_SECOND = 1000;

/**
 * Availability and outage figures over [since, until) for every target the ledger knows a state
 * of in that window. Reads, per target, its transitions in the window plus the last one before
 * it (one indexed query per target whose latest transition is not already before `since`).
 * Maintenance is not in the ledger: `maintenanceOf` gives each target's windows over the
 * range (from the config; none without one), and that time is left out of availability.
 */
export async function computeReport(
  ledger: Ledger,
  query: ReportQuery,
  now: number,
  maintenanceOf: (target: TargetIdentity, window: Window) => Interval[] = () => [],
): Promise<Report> {
  const window = { since: query.since, until: Math.max(query.since, Math.min(query.until, now)) };
  const filter = targetFilterOf(query);
  const runs = await ledger.runs({});
  const histories = await targetHistories(ledger, filter, runs, window);
  const unwatched = await unwatchedByInstance(
    ledger,
    runs,
    { instance: query.instance, ...window },
    now,
  );
  const targets = histories.map(({ identity, transitions }) => ({
    ...identity,
    ...summarizeTarget({
      transitions,
      window,
      gaps: unwatched.get(identity.instance) ?? [],
      maintenance: maintenanceOf(identity, window),
    }),
  }));
  targets.sort((a, b) => compare(a.targetId, b.targetId) || compare(a.instance, b.instance));
  return {
    window,
    targets,
    services: groupBy(targets, (t) => t.service).map(([service, group]) => ({
      service,
      ...rollUpGroup(group),
    })),
    sites: groupBy(targets, (t) => t.site).map(([site, group]) => ({
      site,
      ...rollUpGroup(group),
    })),
    total: rollUpGroup(targets),
  };
}

/**
 * Outages overlapping [since, until) (open ones only with `open: true`, ended ones only with
 * `open: false`), in the ledger's order (start, then id), with duration and blind seconds.
 */
export async function listOutages(
  ledger: Ledger,
  query: ReportQuery & { open?: boolean },
  now: number,
): Promise<OutageFacts[]> {
  const { since, until, open } = query;
  const outages = await ledger.outages({ ...targetFilterOf(query), open, since, until });
  if (outages.length === 0) return [];
  const earliest = outages.reduce((min, outage) => Math.min(min, outage.start), now);
  const runs = await ledger.runs({ instance: query.instance });
  const range = { instance: query.instance, since: earliest, until: Math.max(earliest, now) };
  const unwatched = await unwatchedByInstance(ledger, runs, range, now);
  return outages.map((outage) => ({
    ...outage,
    durationSeconds: Math.max(0, (outage.end ?? now) - outage.start) / MS_PER_SECOND,
    blindSeconds: blindSecondsOf(outage, unwatched.get(outage.instance) ?? [], now),
  }));
}

/**
 * Per instance, the time no daemon of it was watching: its recorded gaps (restart and blind)
 * plus, after its latest run, the time since that run stopped or went stale (open-ended).
 */
export async function unwatchedByInstance(
  ledger: Ledger,
  runs: readonly Run[],
  range: { instance?: string; since: number; until: number },
  now: number,
): Promise<Map<string, Interval[]>> {
  const unwatched = new Map<string, Interval[]>();
  const add = (instance: string, interval: Interval) => {
    const list = unwatched.get(instance);
    if (list === undefined) unwatched.set(instance, [interval]);
    else list.push(interval);
  };
  for (const gap of await ledger.gaps(range)) add(gap.instance, { start: gap.start, end: gap.end });
  for (const run of latestRunOfEachInstance(runs)) {
    const stopped = run.stoppedAt !== null || now - run.lastHeartbeat > HEARTBEAT_STALE_MS;
    if (stopped && run.lastHeartbeat < now)
      add(run.instance, { start: run.lastHeartbeat, end: null });
  }
  return unwatched;
}

export function latestRunOfEachInstance(runs: readonly Run[]): Run[] {
  const latest = new Map<string, Run>();
  for (const run of runs) {
    const known = latest.get(run.instance);
    if (
      known === undefined ||
      run.startedAt > known.startedAt ||
      (run.startedAt === known.startedAt && run.id > known.id)
    ) {
      latest.set(run.instance, run);
    }
  }
  return [...latest.values()];
}

interface TargetHistory {
  identity: TargetIdentity;
  /** The last transition before the window (if any), then those in it, by time. */
  transitions: StoredTransition[];
}

interface Timeline {
  before: StoredTransition | null;
  during: StoredTransition[];
}

/**
 * Every target with a known state in the window: those that moved in it, and those whose
 * latest transition (from the target-state index) set a state before it that still held.
 */
async function targetHistories(
  ledger: Ledger,
  filter: TargetFilter,
  runs: readonly Run[],
  window: Window,
): Promise<TargetHistory[]> {
  const timelines = new Map<string, Timeline>();
  const timelineOf = (t: StoredTransition): Timeline => {
    const key = targetKey(t);
    const found = timelines.get(key) ?? { before: null, during: [] };
    timelines.set(key, found);
    return found;
  };
  const inWindow = await ledger.transitions({ ...filter, ...window });
  for (const transition of inWindow) timelineOf(transition).during.push(transition);
  const unresolved = [...timelines.values()].flatMap(({ during }) => during.slice(0, 1));
  const instances = [...new Set(runs.map((run) => run.instance))];
  for (const instance of filter.instance === undefined ? instances : [filter.instance]) {
    for (const latest of await ledger.latestTransitions(instance)) {
      if (!matches(latest, filter)) continue;
      if (latest.at < window.since) timelineOf(latest).before = latest;
      else unresolved.push(latest);
    }
  }
  await Promise.all(
    uniqueByTarget(unresolved).map(async (target) => {
      const before = await lastBefore(ledger, target, filter, window.since, instances.length);
      if (before !== undefined) timelineOf(before).before = before;
    }),
  );
  return [...timelines.values()].flatMap(historyOf);
}

/**
 * The target's last transition before `since` in its own instance. Asked by target id alone
 * first, for the newest one per instance at most: that query runs on the (target_id, at) index,
 * while one naming the instance as well is planned on (instance, at) and reads the instance's
 * whole history before `since`, which for thousands of targets takes seconds.
 */
async function lastBefore(
  ledger: Ledger,
  target: StoredTransition,
  filter: TargetFilter,
  since: number,
  instanceCount: number,
): Promise<StoredTransition | undefined> {
  const { service, site } = filter;
  const query = { targetId: target.targetId, service, site, until: since };
  const newest = await ledger.transitions({ ...query, limit: Math.max(1, instanceCount) });
  const own = newest.filter((t) => t.instance === target.instance).at(-1);
  if (own !== undefined || newest.length < instanceCount) return own;
  // other instances moved this target more recently: ask for this instance's alone
  const [before] = await ledger.transitions({ ...query, instance: target.instance, limit: 1 });
  return before;
}

function historyOf({ before, during }: Timeline): TargetHistory[] {
  const transitions = before === null ? during : [before, ...during];
  const last = transitions[transitions.length - 1];
  // a target that stayed unknown through the window was never judged in it: not a row
  if (last === undefined || (during.length === 0 && last.to === "unknown")) return [];
  return [{ identity: identityOf(last), transitions }];
}

function uniqueByTarget(transitions: readonly StoredTransition[]): StoredTransition[] {
  const unique = new Map<string, StoredTransition>();
  for (const transition of transitions) unique.set(targetKey(transition), transition);
  return [...unique.values()];
}

function targetKey(t: { instance: string; targetId: string }): string {
  return `${t.instance}\u0000${t.targetId}`;
}

function identityOf(t: StoredTransition): TargetIdentity {
  return { instance: t.instance, targetId: t.targetId, service: t.service, site: t.site };
}

function matches(t: StoredTransition, filter: TargetFilter): boolean {
  return (
    (filter.targetId === undefined || t.targetId === filter.targetId) &&
    (filter.service === undefined || t.service === filter.service) &&
    (filter.site === undefined || t.site === filter.site)
  );
}

function targetFilterOf({ instance, targetId, service, site }: TargetFilter): TargetFilter {
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
  return [...groups.entries()].sort(([a], [b]) => compare(a, b));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
