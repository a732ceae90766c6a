import type { TargetState } from "../health/types.js";
import {
  byTime,
  type ClosedInterval,
  clip,
  type Interval,
  lengthMs,
  mergeIntervals,
  type TimedTransition,
  type Window,
} from "./outages.js";

/**
 * Availability over a window (docs/states-and-outages.md), pure: every millisecond of a target
 * counted once — blind, maintenance, or by its state — and the outage figures beside it, per
 * target and rolled up. Computed in ms, divided by 1000 only in the results.
 */

const MS_PER_SECOND = 1000;

export interface TargetWindowInput {
  /**
   * One target's transitions, sorted by `at`, INCLUDING the last one before the window so the
   * state at the window's start is known (and the start of an outage open across it).
   */
  transitions: readonly TimedTransition[];
  window: Window;
  /** Times the monitor was not watching (restart and blind gaps); end null = still open. */
  gaps: readonly Interval[];
  maintenance: readonly Interval[];
}

/** Figures for one target over a window, or a roll-up of several (then sums over targets). */
export interface AvailabilitySummary {
  /** (up + degraded) / observed; null when nothing was observed. */
  availability: number | null;
  upSeconds: number;
  degradedSeconds: number;
  downSeconds: number;
  /** In `unknown`, including before the target's first transition; outside gaps and maintenance. */
  unknownSeconds: number;
  /** Inside a gap. */
  blindSeconds: number;
  /** Inside maintenance and outside every gap. */
  maintenanceSeconds: number;
  /** up + degraded + down: the denominator of availability. */
  observedSeconds: number;
  /** Outages overlapping the window. */
  outageCount: number;
  /** Outages that started in [since, until): the MTBF divisor. */
  startedOutageCount: number;
  /** Outages whose end lies in (since, until]: the MTTR divisor. */
  endedOutageCount: number;
  /** Whole durations of those ended outages summed: the MTTR numerator. */
  endedOutageSeconds: number;
  /** Outage wall time clipped to the window, gaps and maintenance included (as in the records). */
  totalOutageSeconds: number;
  longestOutageSeconds: number;
  /** Mean WHOLE duration of the outages that ended in the window; null if none did. */
  mttrSeconds: number | null;
  /** (up + degraded) seconds per outage started in the window; null if none started. */
  mtbfSeconds: number | null;
}

/**
 * Availability and outage figures for one target over a window.
 *
 * Every ms of the window is counted exactly once, in this order: inside a gap → blind; else
 * inside maintenance → maintenance; else by the target's state → up, degraded, down or
 * unknown. Time before the target's first transition is unknown. Gaps and maintenance may
 * overlap each other and themselves; they are merged first.
 *
 * Availability = (up + degraded) / (up + degraded + down), i.e. the window minus maintenance,
 * gaps AND unknown time: a second nobody judged is neither up nor down, so it is left out of
 * the denominator and reported instead (blind, maintenance, unknown seconds).
 *
 * Outage figures use wall time, like outage records: an outage's seconds in a gap still count
 * in totalOutageSeconds (and in blindSeconds), but not in downSeconds. Outages are clipped to
 * the window for total and longest. MTTR takes the whole duration of each outage that ended
 * in the window, including any part before it: the repair took that long.
 */
export function summarizeTarget(input: TargetWindowInput): AvailabilitySummary {
  const transitions = byTime(input.transitions);
  const history: TransitionColumns = {
    at: transitions.map((transition) => transition.at),
    to: transitions.map((transition) => transition.to),
  };
  return summarizeColumns(history, input.window, input.gaps, input.maintenance);
}

/**
 * One target's transitions as two columns, by `at` (ties in the ledger's order): how a report
 * holds a million of them, without an object per transition.
 */
export interface TransitionColumns {
  at: readonly number[];
  to: readonly TargetState[];
}

/**
 * summarizeTarget over columns already sorted by `at` (as the ledger reads them); `blind` is
 * blindIn(gaps, window), when the caller has it already.
 */
export function summarizeColumns(
  history: TransitionColumns,
  window: Window,
  gaps: readonly Interval[],
  maintenance: readonly Interval[],
  blind: readonly ClosedInterval[] = blindIn(gaps, window),
): AvailabilitySummary {
  const excluded =
    maintenance.length === 0
      ? blind
      : clipAll(mergeIntervals([...gaps, ...maintenance], window.until), window);
  const stateMs = observedMsByState(history, window, excluded);
  const outages = outageFigures(history, window);
  const availableMs = stateMs.up + stateMs.degraded;
  const observedMs = availableMs + stateMs.down;
  return {
    availability: observedMs > 0 ? availableMs / observedMs : null,
    upSeconds: stateMs.up / MS_PER_SECOND,
    degradedSeconds: stateMs.degraded / MS_PER_SECOND,
    downSeconds: stateMs.down / MS_PER_SECOND,
    unknownSeconds: stateMs.unknown / MS_PER_SECOND,
    blindSeconds: lengthMs(blind) / MS_PER_SECOND,
    maintenanceSeconds: (lengthMs(excluded) - lengthMs(blind)) / MS_PER_SECOND,
    observedSeconds: observedMs / MS_PER_SECOND,
    outageCount: outages.count,
    startedOutageCount: outages.started,
    endedOutageCount: outages.ended,
    endedOutageSeconds: outages.endedWholeMs / MS_PER_SECOND,
    totalOutageSeconds: outages.totalMs / MS_PER_SECOND,
    longestOutageSeconds: outages.longestMs / MS_PER_SECOND,
    mttrSeconds: outages.ended > 0 ? outages.endedWholeMs / outages.ended / MS_PER_SECOND : null,
    mtbfSeconds: outages.started > 0 ? availableMs / outages.started / MS_PER_SECOND : null,
  };
}

/**
 * `gaps` merged and clipped to the window: the blind time of every target watched by the
 * instance these gaps are of (a report computes it once per instance, not once per target).
 */
export function blindIn(gaps: readonly Interval[], window: Window): ClosedInterval[] {
  return clipAll(mergeIntervals(gaps, window.until), window);
}

function clipAll(intervals: readonly ClosedInterval[], window: Window): ClosedInterval[] {
  return intervals.flatMap((interval) => clip(interval, window) ?? []);
}

/**
 * Ms of the window in each state, less `excluded`: the window cut at each transition, each
 * piece counted for the state it was in. No object per piece: a report sums a million.
 */
function observedMsByState(
  history: TransitionColumns,
  window: Window,
  excluded: readonly ClosedInterval[],
): Record<TargetState, number> {
  const ms: Record<TargetState, number> = { up: 0, degraded: 0, down: 0, unknown: 0 };
  const count = (state: TargetState, start: number, end: number) => {
    let length = end - start;
    for (const other of excluded) {
      length -= Math.max(0, Math.min(end, other.end) - Math.max(start, other.start));
    }
    ms[state] += length;
  };
  const { at, to } = history;
  let state: TargetState = "unknown";
  let cursor = window.since;
  for (let i = 0; i < at.length; i++) {
    const time = at[i] as number;
    if (time >= window.until) break;
    if (time > cursor) {
      count(state, cursor, time);
      cursor = time;
    }
    state = to[i] as TargetState;
  }
  if (cursor < window.until) count(state, cursor, window.until);
  return ms;
}

interface OutageFigures {
  count: number;
  started: number;
  ended: number;
  totalMs: number;
  longestMs: number;
  endedWholeMs: number;
}

/** The down intervals of downIntervals, walked without an object each, clipped to the window. */
function outageFigures(history: TransitionColumns, window: Window): OutageFigures {
  const figures: OutageFigures = {
    count: 0,
    started: 0,
    ended: 0,
    totalMs: 0,
    longestMs: 0,
    endedWholeMs: 0,
  };
  const add = (start: number, end: number | null) => {
    const clippedStart = Math.max(start, window.since);
    const clippedEnd = Math.min(end ?? window.until, window.until);
    if (clippedStart >= clippedEnd) return;
    const clippedMs = clippedEnd - clippedStart;
    figures.count += 1;
    figures.totalMs += clippedMs;
    figures.longestMs = Math.max(figures.longestMs, clippedMs);
    if (start >= window.since) figures.started += 1;
    if (end !== null && end <= window.until) {
      figures.ended += 1;
      figures.endedWholeMs += end - start;
    }
  };
  eachDownInterval(history, add);
  return figures;
}

/** downIntervals over columns, each interval given to `visit` instead of made an object. */
export function eachDownInterval(
  history: TransitionColumns,
  visit: (start: number, end: number | null) => void,
): void {
  const { at, to } = history;
  let openSince: number | null = null;
  for (let i = 0; i < at.length; i++) {
    const down = to[i] === "down";
    if (openSince === null && down) {
      openSince = at[i] as number;
    } else if (openSince !== null && !down) {
      visit(openSince, at[i] as number);
      openSince = null;
    }
  }
  if (openSince !== null) visit(openSince, null);
}

/**
 * A service or site roll-up: seconds and counts summed over targets, availability recomputed
 * from the summed seconds (not averaged), longest the maximum, MTTR weighted by each target's
 * ended outages (summed durations over summed counts), MTBF over all started outages.
 */
export function rollUp(summaries: readonly AvailabilitySummary[]): AvailabilitySummary {
  // one pass, each sum still added in the summaries' order from 0: the same floating sums
  let up = 0;
  let degraded = 0;
  let down = 0;
  let unknown = 0;
  let blind = 0;
  let maintenance = 0;
  let observed = 0;
  let outageCount = 0;
  let started = 0;
  let ended = 0;
  let endedSeconds = 0;
  let totalOutage = 0;
  let longest = 0;
  for (const s of summaries) {
    up += s.upSeconds;
    degraded += s.degradedSeconds;
    down += s.downSeconds;
    unknown += s.unknownSeconds;
    blind += s.blindSeconds;
    maintenance += s.maintenanceSeconds;
    observed += s.observedSeconds;
    outageCount += s.outageCount;
    started += s.startedOutageCount;
    ended += s.endedOutageCount;
    endedSeconds += s.endedOutageSeconds;
    totalOutage += s.totalOutageSeconds;
    longest = Math.max(longest, s.longestOutageSeconds);
  }
  const available = up + degraded;
  return {
    availability: observed > 0 ? available / observed : null,
    upSeconds: up,
    degradedSeconds: degraded,
    downSeconds: down,
    unknownSeconds: unknown,
    blindSeconds: blind,
    maintenanceSeconds: maintenance,
    observedSeconds: observed,
    outageCount,
    startedOutageCount: started,
    endedOutageCount: ended,
    endedOutageSeconds: endedSeconds,
    totalOutageSeconds: totalOutage,
    longestOutageSeconds: longest,
    mttrSeconds: ended > 0 ? endedSeconds / ended : null,
    mtbfSeconds: started > 0 ? available / started : null,
  };
}
