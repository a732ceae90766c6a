import type { Transition } from "../health/types.js";
import type { OutageRecord, StoredTransition } from "./ledger.js";

/**
 * Outage arithmetic (docs/states-and-outages.md), pure: intervals, the monitor's blind time
 * within an outage, and outages rebuilt from transitions. Times are epoch ms; intervals are
 * half-open [start, end). Everything is computed in ms and divided by 1000 only in the
 * results, so seconds keep millisecond precision and are never rounded. Availability over a
 * window is window-summary.ts.
 */

/** [start, end); end null = still open. */
export interface Interval {
  start: number;
  end: number | null;
}

export interface ClosedInterval {
  start: number;
  end: number;
}

/** [since, until): a report window. `until` should not be later than now. */
export interface Window {
  since: number;
  until: number;
}

/** The part of a transition the arithmetic needs; a StoredTransition satisfies it. */
export type TimedTransition = Pick<Transition, "to" | "at">;

/** An outage rebuilt from transitions: an OutageRecord without the ledger's row id. */
export type DerivedOutage = Omit<OutageRecord, "id" | "pageSettledAt">;

const MS_PER_SECOND = 1000;

/** The part of `interval` inside `window`, an open end read as `window.until`; null if none. */
export function clip(interval: Interval, window: Window): ClosedInterval | null {
  const start = Math.max(interval.start, window.since);
  const end = Math.min(interval.end ?? window.until, window.until);
  return start < end ? { start, end } : null;
}

/**
 * Sorted, disjoint intervals covering exactly the union of `intervals`; open ends are read
 * as `now`, and empty intervals are dropped.
 */
export function mergeIntervals(intervals: readonly Interval[], now: number): ClosedInterval[] {
  const closed = intervals
    .map((interval) => ({ start: interval.start, end: interval.end ?? now }))
    .filter((interval) => interval.start < interval.end)
    .sort((a, b) => a.start - b.start);
  const merged: ClosedInterval[] = [];
  for (const interval of closed) {
    const last = merged[merged.length - 1];
    if (last !== undefined && interval.start <= last.end) {
      last.end = Math.max(last.end, interval.end);
    } else {
      merged.push({ ...interval });
    }
  }
  return merged;
}

/** Seconds of `a` covered by any of `others` (each second once); open ends are read as `now`. */
export function overlapSeconds(a: Interval, others: readonly Interval[], now: number): number {
  return overlapMs(a, mergeIntervals(others, now), now) / MS_PER_SECOND;
}

/** How much of an outage the monitor itself was not watching (`blind_seconds`, docs/states-and-outages.md). */
export function blindSecondsOf(outage: Interval, gaps: readonly Interval[], now: number): number {
  return overlapSeconds(outage, gaps, now);
}

/** As blindSecondsOf, with the gaps already merged by `mergeIntervals(gaps, now)`: for many outages. */
export function blindSecondsIn(
  outage: Interval,
  mergedGaps: readonly ClosedInterval[],
  now: number,
): number {
  return overlapMs(outage, mergedGaps, now) / MS_PER_SECOND;
}

function overlapMs(a: Interval, merged: readonly ClosedInterval[], now: number): number {
  const end = a.end ?? now;
  let total = 0;
  for (const other of merged) {
    total += Math.max(0, Math.min(end, other.end) - Math.max(a.start, other.start));
  }
  return total;
}

export function lengthMs(intervals: readonly ClosedInterval[]): number {
  return intervals.reduce((sum, interval) => sum + (interval.end - interval.start), 0);
}

export function byTime<T extends TimedTransition>(transitions: readonly T[]): readonly T[] {
  // a report passes a million transitions already in order: a look instead of a copy and sort
  for (let i = 1; i < transitions.length; i++) {
    if ((transitions[i] as T).at < (transitions[i - 1] as T).at) {
      // Array.prototype.sort is stable: transitions at the same ms keep the caller's order
      return [...transitions].sort((a, b) => a.at - b.at);
    }
  }
  return transitions;
}

/**
 * Intervals in `down` of ONE target: each →down opens one, the next transition out of down
 * closes it. A close with no open before it (history cut short) is ignored.
 */
export function downIntervals(transitions: readonly TimedTransition[]): Interval[] {
  const intervals: Interval[] = [];
  let open: Interval | null = null;
  for (const transition of byTime(transitions)) {
    if (open === null && transition.to === "down") {
      open = { start: transition.at, end: null };
      intervals.push(open);
    } else if (open !== null && transition.to !== "down") {
      open.end = transition.at;
      open = null;
    }
  }
  return intervals;
}

/**
 * Outages rebuilt from transitions of any number of targets and instances, sorted by start then
 * target: to check the ledger's outage table against, and for reports. `maintenance` is the
 * →down transition's flag (whether the outage STARTED in maintenance); `endReason` is `removed`
 * when the closing transition's reason is `removed`, else `recovered`.
 */
export function outagesFromTransitions(transitions: readonly StoredTransition[]): DerivedOutage[] {
  const byTarget = new Map<string, StoredTransition[]>();
  for (const transition of transitions) {
    const key = `${transition.instance}\u0000${transition.targetId}`;
    const list = byTarget.get(key);
    if (list === undefined) byTarget.set(key, [transition]);
    else list.push(transition);
  }
  const outages: DerivedOutage[] = [];
  for (const list of byTarget.values()) outages.push(...outagesOfOneTarget(list));
  return outages.sort((a, b) => a.start - b.start || a.targetId.localeCompare(b.targetId));
}

function outagesOfOneTarget(transitions: readonly StoredTransition[]): DerivedOutage[] {
  const sorted = [...transitions].sort((a, b) => a.at - b.at || a.id - b.id);
  const outages: DerivedOutage[] = [];
  let open: DerivedOutage | null = null;
  for (const transition of sorted) {
    if (open === null && transition.to === "down") {
      open = openedBy(transition);
      outages.push(open);
    } else if (open !== null && transition.to !== "down") {
      open.end = transition.at;
      open.endReason = transition.reason === "removed" ? "removed" : "recovered";
      open.lastFailedAt = transition.previousProbeAt;
      open = null;
    }
  }
  return outages;
}

function openedBy(transition: StoredTransition): DerivedOutage {
  return {
    instance: transition.instance,
    targetId: transition.targetId,
    service: transition.service,
    site: transition.site,
    start: transition.at,
    end: null,
    detectedAt: transition.detectedAt,
    reason: transition.reason,
    detail: transition.detail,
    blockedBy: transition.blockedBy,
    // attribution changes after the →down are not transitions; only the ledger knows them
    blockedUntil: null,
    maintenance: transition.maintenance,
    endReason: null,
    lastOkAt: transition.previousProbeAt,
    lastFailedAt: null,
  };
}
