import type { OutageRecord } from "../ledger/ledger.js";
import { downIntervals, type Window } from "../ledger/outages.js";
import type { TargetHistory, TargetIdentity } from "./numbers.js";

/**
 * The window's outages as the targets' histories show them (start, and end when it fell inside
 * the window), completed by the records of those still open at its end. Enough for the summary's
 * figures and for choosing which outage records to read, without reading all of them: a month
 * of 10,000 flapping targets has half a million. Pure.
 */

export interface WindowOutage {
  target: TargetIdentity;
  start: number;
  /** The true end: null while open; later than the window's end for an outage open at it. */
  end: number | null;
}

export interface WindowOutages {
  /** Overlapping the window, by target (report order), then start. */
  outages: WindowOutage[];
  /** Targets with at least one. */
  affectedTargetCount: number;
}

/**
 * `openAtEnd`: the records of outages with start < until and (end null or end >= until), i.e.
 * whose end the window's transitions do not show.
 */
export function windowOutages(
  histories: readonly TargetHistory[],
  window: Window,
  openAtEnd: readonly OutageRecord[],
  keyOf: (target: { instance: string; targetId: string }) => string,
): WindowOutages {
  const trueEnd = new Map<string, OutageRecord>();
  for (const record of openAtEnd) trueEnd.set(keyOf(record), record);
  const outages: WindowOutage[] = [];
  let affectedTargetCount = 0;
  for (const { identity, transitions } of histories) {
    let affected = false;
    for (const interval of downIntervals(transitions)) {
      if (interval.end !== null && interval.end <= window.since) continue;
      let end = interval.end;
      if (end === null) {
        const record = trueEnd.get(keyOf(identity));
        end = record !== undefined && record.start === interval.start ? record.end : null;
      }
      outages.push({ target: identity, start: interval.start, end });
      affected = true;
    }
    if (affected) affectedTargetCount += 1;
  }
  return { outages, affectedTargetCount };
}

/** Seconds of the window when at least one outage was open (each second once). */
export function impactSeconds(outages: readonly WindowOutage[], window: Window): number {
  // union length by sweeping sorted starts and ends: no interval objects, no comparator
  const starts = new Float64Array(outages.length);
  const ends = new Float64Array(outages.length);
  let n = 0;
  for (const outage of outages) {
    const start = Math.max(outage.start, window.since);
    const end = Math.min(outage.end ?? window.until, window.until);
    if (start >= end) continue;
    starts[n] = start;
    ends[n] = end;
    n += 1;
  }
  const sortedStarts = starts.subarray(0, n).sort();
  const sortedEnds = ends.subarray(0, n).sort();
  let open = 0;
  let coveredSince = 0;
  let total = 0;
  let i = 0;
  let j = 0;
  while (i < n || j < n) {
    // at equal times ends go first: [a, b) then [b, c) is covered without a break, either way
    if (i < n && (sortedStarts[i] as number) < (sortedEnds[j] as number)) {
      if (open === 0) coveredSince = sortedStarts[i] as number;
      open += 1;
      i += 1;
    } else {
      open -= 1;
      if (open === 0) total += (sortedEnds[j] as number) - coveredSince;
      j += 1;
    }
  }
  return total / 1000;
}

/** Whole duration in ms as of `now` (an open outage runs to now). */
export function durationMs(outage: { start: number; end: number | null }, now: number): number {
  return Math.max(0, (outage.end ?? now) - outage.start);
}

/** The outages that share the best value of `score` (highest first); none when empty. */
export function best<T>(items: readonly T[], score: (item: T) => number): T[] {
  let top = Number.NEGATIVE_INFINITY;
  let found: T[] = [];
  for (const item of items) {
    const value = score(item);
    if (value > top) {
      top = value;
      found = [item];
    } else if (value === top) {
      found.push(item);
    }
  }
  return found;
}

/** The `limit` longest (ties: earlier start first), or all when there are no more. */
export function longestOutages(
  outages: readonly WindowOutage[],
  limit: number,
  now: number,
): WindowOutage[] {
  if (outages.length <= limit) return [...outages];
  if (limit <= 0) return [];
  // the limit-th longest duration by a typed sort, then one pass: no comparator over 500,000
  const durations = new Float64Array(outages.length);
  for (let i = 0; i < outages.length; i++)
    durations[i] = durationMs(outages[i] as WindowOutage, now);
  const threshold = durations.slice().sort()[outages.length - limit] as number;
  const longer: WindowOutage[] = [];
  const tiedAll: WindowOutage[] = [];
  for (let i = 0; i < outages.length; i++) {
    const duration = durations[i] as number;
    if (duration > threshold) longer.push(outages[i] as WindowOutage);
    else if (duration === threshold) tiedAll.push(outages[i] as WindowOutage);
  }
  const tied = tiedAll.sort((a, b) => a.start - b.start).slice(0, limit - longer.length);
  return [...longer, ...tied];
}
