import type { Ledger, Run } from "../ledger/ledger.js";
import { clip, type Window } from "../ledger/outages.js";
import { unwatchedByInstance } from "./numbers.js";
import { compareText, type MonitorGap } from "./timeline.js";

/**
 * The time the monitor itself was not watching, each interval named: before the ledger's first
 * run, a recorded restart or blind gap, or no daemon of an instance running since its last run.
 */

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
 * The unwatched time `numbers.ts` leaves out of availability (a recorded restart or blind gap,
 * or `stopped`: no daemon of the instance running since its last run), and the part of the
 * window before the ledger's first run (`not-started`, counted there as unknown), by start.
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
