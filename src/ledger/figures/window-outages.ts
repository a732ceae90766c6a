import type { OutageRecord } from "../ledger.js";
import type { Window } from "../outages.js";
import { eachDownInterval } from "../window-summary.js";
import type { TargetHistory, TargetIdentity } from "./availability.js";

/**
 * The window's outages as the targets' histories show them (start, and end when it fell inside
 * the window), completed by the records of those still open at its end. Enough for the summary's
 * figures and for choosing which outage records to read, without reading all of them: a month
 * of 10,000 flapping targets has half a million, so they are held as columns, not objects.
 * Pure.
 */

export interface WindowOutage {
  target: TargetIdentity;
  start: number;
  /** The true end: null while open; later than the window's end for an outage open at it. */
  end: number | null;
}

export interface WindowOutages {
  /** How many outages overlap the window; outage i is the i-th of the columns below. */
  count: number;
  /** Each outage's target: an index into `targets`. By target (report order), then start. */
  target: Int32Array;
  start: Float64Array;
  /** The true end (see WindowOutage); NaN while open. */
  end: Float64Array;
  targets: readonly TargetIdentity[];
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
  // at most one outage per transition: columns of that size, cut to the count at the end
  const room = histories.reduce((sum, { history }) => sum + history.at.length, 0);
  const target = new Int32Array(room);
  const starts = new Float64Array(room);
  const ends = new Float64Array(room);
  let count = 0;
  let affectedTargetCount = 0;
  histories.forEach(({ identity, history }, index) => {
    const before = count;
    eachDownInterval(history, (start, end) => {
      if (end === null) {
        const record = trueEnd.get(keyOf(identity));
        end = record !== undefined && record.start === start ? record.end : null;
      }
      // an empty window at an outage's end: the record ends there, so the outage is not in it
      if (end !== null && end <= window.since) return;
      target[count] = index;
      starts[count] = start;
      ends[count] = end ?? Number.NaN;
      count += 1;
    });
    if (count > before) affectedTargetCount += 1;
  });
  return {
    count,
    target: target.subarray(0, count),
    start: starts.subarray(0, count),
    end: ends.subarray(0, count),
    targets: histories.map((h) => h.identity),
    affectedTargetCount,
  };
}

/** Outage i of `outages` as an object (for the few that are read as records). */
export function windowOutage(outages: WindowOutages, i: number): WindowOutage {
  const end = outages.end[i] as number;
  return {
    target: outages.targets[outages.target[i] as number] as TargetIdentity,
    start: outages.start[i] as number,
    end: Number.isNaN(end) ? null : end,
  };
}

/** Seconds of the window when at least one outage was open (each second once). */
export function impactSeconds(outages: WindowOutages, window: Window): number {
  // union length by sweeping sorted starts and ends: no interval objects, no comparator
  const starts = new Float64Array(outages.count);
  const ends = new Float64Array(outages.count);
  let n = 0;
  for (let k = 0; k < outages.count; k++) {
    const trueEnd = outages.end[k] as number;
    const start = Math.max(outages.start[k] as number, window.since);
    const end = Math.min(Number.isNaN(trueEnd) ? window.until : trueEnd, window.until);
    if (start >= end) continue;
    starts[n] = start;
    ends[n] = end;
    n += 1;
  }
  // starts and ends sorted apart: the sweep needs only their order, not which ends which
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

/** Outage i's whole duration in ms as of `now`, as durationMs. */
export function outageDurationMs(outages: WindowOutages, i: number, now: number): number {
  const end = outages.end[i] as number;
  return Math.max(0, (Number.isNaN(end) ? now : end) - (outages.start[i] as number));
}

/** The summary's extremes, each as the outages (indices, in order) that share it. */
export interface Extremes {
  /** The earliest start. */
  firstStarted: number[];
  /** The latest end among those that ended by the window's end. */
  lastEnded: number[];
  /** The longest whole duration as of `now` (an open outage runs to now). */
  longest: number[];
}

/** The three extremes in one pass over half a million outages (no closure per value). */
export function extremes(outages: WindowOutages, until: number, now: number): Extremes {
  const { start, end } = outages;
  const found: Extremes = { firstStarted: [], lastEnded: [], longest: [] };
  let earliest = Number.POSITIVE_INFINITY;
  let latest = Number.NEGATIVE_INFINITY;
  let longest = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < outages.count; i++) {
    const s = start[i] as number;
    const e = end[i] as number;
    if (s < earliest) {
      earliest = s;
      found.firstStarted = [i];
    } else if (s === earliest) {
      found.firstStarted.push(i);
    }
    // NaN (still open) is never <= until
    if (e <= until) {
      if (e > latest) {
        latest = e;
        found.lastEnded = [i];
      } else if (e === latest) {
        found.lastEnded.push(i);
      }
    }
    const duration = Math.max(0, (Number.isNaN(e) ? now : e) - s);
    if (duration > longest) {
      longest = duration;
      found.longest = [i];
    } else if (duration === longest) {
      found.longest.push(i);
    }
  }
  return found;
}

/** The `limit` longest (ties: earlier start first), or all when there are no more. */
export function longestOutages(outages: WindowOutages, limit: number, now: number): WindowOutage[] {
  const all = (indices: Iterable<number>) => [...indices].map((i) => windowOutage(outages, i));
  if (outages.count <= limit) return all(outages.start.keys());
  if (limit <= 0) return [];
  // the limit-th longest duration by a selection, then one pass: no sort over 500,000
  const durations = new Float64Array(outages.count);
  for (let i = 0; i < outages.count; i++) durations[i] = outageDurationMs(outages, i, now);
  const threshold = kthSmallest(durations.slice(), outages.count - limit);
  const longer: number[] = [];
  const tiedAll: number[] = [];
  for (let i = 0; i < outages.count; i++) {
    const duration = durations[i] as number;
    if (duration > threshold) longer.push(i);
    else if (duration === threshold) tiedAll.push(i);
  }
  return all([...longer, ...earliestStarts(outages, tiedAll, limit - longer.length)]);
}

/**
 * The `take` of `indices` with the earliest start (ties: their order in `indices`), by start:
 * what a stable sort by start then a slice give, with the comparator sort run on `take` only.
 */
function earliestStarts(
  outages: WindowOutages,
  indices: readonly number[],
  take: number,
): number[] {
  if (take <= 0) return [];
  const startOf = (i: number) => outages.start[i] as number;
  let chosen: number[] = [...indices];
  if (indices.length > take) {
    const starts = new Float64Array(indices.length);
    for (let k = 0; k < indices.length; k++) starts[k] = startOf(indices[k] as number);
    const cut = kthSmallest(starts, take - 1);
    const earlier: number[] = [];
    const atCut: number[] = [];
    for (const i of indices) {
      if (startOf(i) < cut) earlier.push(i);
      else if (startOf(i) === cut) atCut.push(i);
    }
    chosen = [...earlier, ...atCut.slice(0, take - earlier.length)];
  }
  return chosen.sort((a, b) => startOf(a) - startOf(b) || a - b);
}

/**
 * The value at index `k` of `values` sorted ascending (0 ≤ k < length; no NaN), found by
 * quickselect in place (`values` is reordered): linear time where a sort is n log n.
 */
export function kthSmallest(values: Float64Array, k: number): number {
  let low = 0;
  let high = values.length - 1;
  while (low < high) {
    // median of three as the pivot: sorted or constant input stays linear
    const mid = (low + high) >>> 1;
    const pivot = medianOf3(values[low] as number, values[mid] as number, values[high] as number);
    // three-way partition: [low, lt) < pivot, [lt, i) = pivot, (gt, high] > pivot
    let lt = low;
    let gt = high;
    let i = low;
    while (i <= gt) {
      const value = values[i] as number;
      if (value < pivot) {
        values[i] = values[lt] as number;
        values[lt] = value;
        lt += 1;
        i += 1;
      } else if (value > pivot) {
        values[i] = values[gt] as number;
        values[gt] = value;
        gt -= 1;
      } else {
        i += 1;
      }
    }
    if (k < lt) high = lt - 1;
    else if (k > gt) low = gt + 1;
    else return pivot;
  }
  return values[k] as number;
}

function medianOf3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}
