import type { TargetState } from "../../health/types.js";
import { compareText } from "../../text/compare.js";
import type { ClosedInterval, Window } from "../outages.js";
import type { TransitionColumns } from "../window-summary.js";
import type { TargetHistory, TargetIdentity } from "./availability.js";

/**
 * The restoration order of a window, pure: when each target and each site came back to up,
 * and how long it was down and degraded in the window. Time is counted as availability counts
 * it (`summarizeColumns`): only observed time outside maintenance, so a target's down and
 * degraded seconds here are its figures' own. A site is down while one of its targets is down
 * and degraded while one is degraded (an airport's autogates down while its passport control
 * runs in manual mode counts in both); it is back up when the last of its targets is.
 */

export interface Restoration {
  /** `at` of the last transition into up; null: not back up by the window's end. */
  restoredAt: number | null;
  /** The state at the window's end (a site: its worst target's). */
  endState: TargetState;
  downSeconds: number;
  degradedSeconds: number;
}

export type TargetRestoration = TargetIdentity & Restoration;

export interface SiteRestoration extends Restoration {
  site: string;
  targetCount: number;
  /** Targets down or degraded at some observed time in the window. */
  affectedTargetCount: number;
}

export interface RestorationOrder {
  /** Affected targets only (down or degraded some observed time): restored first, by time. */
  targets: TargetRestoration[];
  sites: SiteRestoration[];
}

/** Per target, the time availability leaves out: merged, clipped to the window, by start. */
export type ExcludedOf = (target: TargetIdentity) => readonly ClosedInterval[];

/**
 * Interval lists laid end to end: `values` holds [start, end, start, end, …]; list i is
 * values[bounds[i]] up to values[bounds[i + 1]], each sorted and disjoint.
 */
export interface IntervalRuns {
  values: number[];
  /** Starts with 0; one more entry than there are lists. */
  bounds: number[];
}

/** The observed down and degraded pieces of one site's targets: one run per target. */
interface SitePieces {
  targetCount: number;
  affectedTargetCount: number;
  down: IntervalRuns;
  degraded: IntervalRuns;
  ends: TargetRestoration[];
}

const MS_PER_SECOND = 1000;
const WORST: readonly TargetState[] = ["down", "degraded", "up", "unknown"];

export function restorationOrder(
  histories: readonly TargetHistory[],
  window: Window,
  excludedOf: ExcludedOf,
): RestorationOrder {
  const targets: TargetRestoration[] = [];
  const sites = new Map<string, SitePieces>();
  for (const { identity, history } of histories) {
    let site = sites.get(identity.site);
    if (site === undefined) {
      site = {
        targetCount: 0,
        affectedTargetCount: 0,
        down: { values: [], bounds: [0] },
        degraded: { values: [], bounds: [0] },
        ends: [],
      };
      sites.set(identity.site, site);
    }
    const restoration = targetRestoration(identity, history, window, excludedOf(identity), site);
    site.targetCount += 1;
    site.ends.push(restoration);
    if (restoration.downSeconds + restoration.degradedSeconds > 0) {
      site.affectedTargetCount += 1;
      targets.push(restoration);
    }
  }
  const siteRows = [...sites.entries()].flatMap(([name, site]) => {
    const row = siteRestoration(name, site);
    return row.downSeconds + row.degradedSeconds > 0 ? [row] : [];
  });
  return {
    targets: targets.sort((a, b) => byRestoration(a, b) || compareTargets(a, b)),
    sites: siteRows.sort((a, b) => byRestoration(a, b) || compareText(a.site, b.site)),
  };
}

/** One target's restoration; its observed bad pieces are added to its site's. */
function targetRestoration(
  identity: TargetIdentity,
  history: TransitionColumns,
  window: Window,
  excluded: readonly ClosedInterval[],
  site: SitePieces,
): TargetRestoration {
  const { at, to } = history;
  const ms = { down: 0, degraded: 0 };
  // the target's pieces follow in time: each kind's run of the site grows by this target's
  const add = (state: TargetState, start: number, end: number) => {
    if (state !== "down" && state !== "degraded") return;
    const { values } = site[state];
    eachObservedPiece(start, end, excluded, (from, until) => {
      ms[state] += until - from;
      values.push(from, until);
    });
  };
  let state: TargetState = "unknown";
  let cursor = window.since;
  let lastAt = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < at.length; i++) {
    const time = at[i] as number;
    if (time >= window.until) break;
    if (time > cursor) {
      add(state, cursor, time);
      cursor = time;
    }
    state = to[i] as TargetState;
    lastAt = time;
  }
  if (cursor < window.until) add(state, cursor, window.until);
  for (const runs of [site.down, site.degraded]) {
    if (runs.values.length > (runs.bounds[runs.bounds.length - 1] as number)) {
      runs.bounds.push(runs.values.length);
    }
  }
  const affected = ms.down + ms.degraded > 0;
  return {
    instance: identity.instance,
    targetId: identity.targetId,
    service: identity.service,
    site: identity.site,
    restoredAt: affected && state === "up" ? lastAt : null,
    endState: state,
    downSeconds: ms.down / MS_PER_SECOND,
    degradedSeconds: ms.degraded / MS_PER_SECOND,
  };
}

/** [start, end) less the excluded intervals (sorted, disjoint), piece by piece. */
function eachObservedPiece(
  start: number,
  end: number,
  excluded: readonly ClosedInterval[],
  visit: (from: number, until: number) => void,
): void {
  let cursor = start;
  for (const cut of excluded) {
    if (cut.end <= cursor) continue;
    if (cut.start >= end) break;
    if (cut.start > cursor) visit(cursor, cut.start);
    cursor = Math.max(cursor, cut.end);
    if (cursor >= end) return;
  }
  if (cursor < end) visit(cursor, end);
}

function siteRestoration(name: string, site: SitePieces): SiteRestoration {
  const endState = site.ends.reduce<TargetState>(
    (worst, target) =>
      WORST.indexOf(target.endState) < WORST.indexOf(worst) ? target.endState : worst,
    "unknown",
  );
  // back up when its last affected target is, and none is down or degraded at the end
  const lastBack = site.ends.reduce<number | null>(
    (latest, target) =>
      target.restoredAt === null
        ? latest
        : Math.max(latest ?? target.restoredAt, target.restoredAt),
    null,
  );
  return {
    site: name,
    targetCount: site.targetCount,
    affectedTargetCount: site.affectedTargetCount,
    restoredAt: endState === "up" ? lastBack : null,
    endState,
    downSeconds: unionLengthMs(site.down) / MS_PER_SECOND,
    degradedSeconds: unionLengthMs(site.degraded) / MS_PER_SECOND,
  };
}

/**
 * Length of the union of interval runs: adjacent runs merged two by two (n log k for k runs)
 * between two buffers, which spares a sort of every edge (a month of 10,000 flapping targets
 * has a million) and the garbage of a new array per merge.
 */
export function unionLengthMs(runs: IntervalRuns): number {
  let source = Float64Array.from(runs.values);
  let target = new Float64Array(source.length);
  let bounds = runs.bounds;
  while (bounds.length > 2) {
    const next = [0];
    for (let r = 0; r + 1 < bounds.length; r += 2) {
      const [aStart, aEnd] = [bounds[r] as number, bounds[r + 1] as number];
      const bEnd = bounds[r + 2] ?? aEnd;
      const written = mergeUnion(
        source,
        aStart,
        aEnd,
        bEnd,
        target,
        next[next.length - 1] as number,
      );
      next.push(written);
    }
    [source, target] = [target, source];
    bounds = next;
  }
  let total = 0;
  const end = bounds[1] ?? 0;
  for (let i = 0; i < end; i += 2) total += (source[i + 1] as number) - (source[i] as number);
  return total;
}

/**
 * Writes the union of source[aStart, aEnd) and source[aEnd, bEnd) (sorted, disjoint interval
 * lists) to target from `at`, itself sorted and disjoint; gives where it ends.
 */
function mergeUnion(
  source: Float64Array,
  aStart: number,
  aEnd: number,
  bEnd: number,
  target: Float64Array,
  at: number,
): number {
  let [i, j, n] = [aStart, aEnd, at];
  while (i < aEnd || j < bEnd) {
    const fromA = j >= bEnd || (i < aEnd && (source[i] as number) <= (source[j] as number));
    const k = fromA ? i : j;
    const start = source[k] as number;
    const end = source[k + 1] as number;
    if (fromA) i += 2;
    else j += 2;
    // touching or overlapping the last interval written: extend it
    if (n > at && start <= (target[n - 1] as number)) {
      if (end > (target[n - 1] as number)) target[n - 1] = end;
    } else {
      target[n] = start;
      target[n + 1] = end;
      n += 2;
    }
  }
  return n;
}

/** Restored ones first, by time; then those not back up. */
function byRestoration(a: Restoration, b: Restoration): number {
  if (a.restoredAt === null || b.restoredAt === null) {
    return (a.restoredAt === null ? 1 : 0) - (b.restoredAt === null ? 1 : 0);
  }
  return a.restoredAt - b.restoredAt;
}

function compareTargets(a: TargetIdentity, b: TargetIdentity): number {
  return (
    compareText(a.site, b.site) ||
    compareText(a.targetId, b.targetId) ||
    compareText(a.instance, b.instance)
  );
}
