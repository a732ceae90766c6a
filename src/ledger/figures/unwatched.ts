import { compareText } from "../../text/compare.js";
import type { Ledger, Run } from "../ledger.js";
import { clip, type Interval, type Window } from "../outages.js";

/**
 * The time the monitor itself was not watching (never counted as up: docs/states-and-outages.md), each interval
 * named: before the ledger's first run, a recorded restart or blind gap, or no daemon of an
 * instance running since its last run.
 */

/**
 * Why the monitor was not watching: a restart gap, every canary failing, no daemon running, or
 * before the ledger's first run (`not-started`, of no one instance).
 */
export type MonitorGapKind = "restart" | "blind" | "stopped" | "not-started";

export interface MonitorGap extends Interval {
  /** "" for `not-started`: no daemon of any instance had run yet. */
  instance: string;
  kind: MonitorGapKind;
}

/**
 * A run that has not heartbeated for this long is taken as dead (crashed, or its host gone):
 * its time since the last heartbeat is unwatched although no restart gap records it yet.
 */
export const HEARTBEAT_STALE_MS = 60_000;

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

/** Start of the ledger's first run: nothing was observed before it. null: no run recorded. */
export function firstRunStart(runs: readonly Run[]): number | null {
  return runs.reduce<number | null>(
    (first, run) => (first === null ? run.startedAt : Math.min(first, run.startedAt)),
    null,
  );
}

/**
 * The default window's start: no earlier than the ledger's first observation, so that time
 * before pantau existed does not fill the report (a window wholly before it stays as it is).
 */
export async function notBeforeFirstRun<Query extends Window>(
  ledger: Ledger,
  query: Query,
): Promise<Query> {
  const first = firstRunStart(await ledger.runs({}));
  if (first === null || first <= query.since || first >= query.until) return query;
  return { ...query, since: first };
}

/**
 * The time availability leaves out as unwatched (a recorded restart or blind gap, or
 * `stopped`: no daemon of the instance running since its last run), and the part of the window
 * before the ledger's first run (`not-started`, counted there as unknown), by start.
 */
export async function monitorGaps(
  ledger: Ledger,
  runs: readonly Run[],
  instance: string | undefined,
  window: Window,
  now: number,
): Promise<MonitorGap[]> {
  const range = { instance, ...window };
  const recorded = await ledger.gaps(range);
  const unwatched = await unwatchedByInstance(ledger, runs, range, now);
  const gaps: MonitorGap[] = [];
  const first = firstRunStart(runs) ?? window.until;
  if (first > window.since && window.until > window.since) {
    gaps.push({ instance: "", kind: "not-started", start: window.since, end: first });
  }
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
