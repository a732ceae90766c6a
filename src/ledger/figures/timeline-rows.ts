import type { MaintenanceInterval } from "../../health/maintenance.js";
import { causeText } from "../../text/cause.js";
import { compareText } from "../../text/compare.js";
import type { StoredTransition } from "../ledger.js";
import {
  type ClosedInterval,
  clip,
  type Interval,
  mergeIntervals,
  type Window,
} from "../outages.js";
import type { TransitionColumns } from "../window-summary.js";
import type { TargetIdentity } from "./availability.js";
import type { OutageFacts } from "./outage-facts.js";
import type { Restoration } from "./restoration.js";
import type { MonitorGap, MonitorGapKind } from "./unwatched.js";

/** What a history needs for state spans: times, states, and the cause a span's note shows. */
export type HistoryTransition = Pick<StoredTransition, "to" | "at" | "reason" | "detail">;

/**
 * What the report's timeline picture shows, pure: per target, the spans of the window it was
 * up, degraded, down (on its own, or blocked by a dependency), in maintenance, or not observed
 * (before pantau first ran, no daemon running, blind, or the target's state unknown): every
 * instant of a row is drawn as what the ledger knows of it, and nothing unobserved as up. One
 * row per monitor instance shows when it was watching.
 */

/** In drawing order: a later kind is drawn over an earlier one. */
export const SPAN_KINDS = [
  "maintenance",
  "up",
  "degraded",
  "blocked",
  "down",
  "unobserved",
] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];

export interface TimelineSpan extends ClosedInterval {
  kind: SpanKind;
  /** What the tooltip says besides the times: the cause, the dependency, the window's name. */
  note: string | null;
}

export interface TimelineRow extends TargetIdentity {
  /** Clipped to the window, by kind (drawing order), then start. */
  spans: TimelineSpan[];
}

/** When one daemon instance was watching (`up`) and when not (`unobserved`). */
export interface MonitorRow {
  instance: string;
  spans: TimelineSpan[];
}

export interface TimelineInput {
  targets: readonly TargetIdentity[];
  window: Window;
  /** Per target key, its transitions by time, starting with the last one before the window. */
  histories: ReadonlyMap<string, readonly HistoryTransition[]>;
  outages: readonly OutageFacts[];
  gaps: readonly MonitorGap[];
  /** Per target key, the config's maintenance occurrences; null: shown from outage flags. */
  maintenance: ReadonlyMap<string, readonly MaintenanceInterval[]> | null;
  /** Start of the ledger's first run; null: no run recorded. */
  firstObservation: number | null;
  /** Per target key, when it came back up: rows of a service are in that order. */
  restoration: ReadonlyMap<string, Restoration>;
  keyOf(target: { instance: string; targetId: string }): string;
}

export const GAP_NOTES: Record<MonitorGapKind, string> = {
  restart: "restart: no daemon was running",
  blind: "blind: every canary failed",
  stopped: "stopped: no daemon running",
  "not-started": "pantau was not running yet",
};

/** One row per target, grouped by service; within one, in restoration order (see byGroup). */
export function timelineRows(input: TimelineInput): TimelineRow[] {
  const outagesByKey = new Map<string, OutageFacts[]>();
  for (const outage of input.outages) {
    const key = input.keyOf(outage);
    const list = outagesByKey.get(key);
    if (list === undefined) outagesByKey.set(key, [outage]);
    else list.push(outage);
  }
  const gapsByInstance = new Map<string, MonitorGap[]>();
  for (const gap of input.gaps) {
    gapsByInstance.set(gap.instance, [...(gapsByInstance.get(gap.instance) ?? []), gap]);
  }
  const rank = (target: TargetIdentity) =>
    restorationRank(input.restoration.get(input.keyOf(target)));
  const ordered = [...input.targets].sort((a, b) => byGroup(a, b, rank));
  return ordered.map((target) => {
    const key = input.keyOf(target);
    const outages = outagesByKey.get(key) ?? [];
    const spans = [
      ...maintenanceSpans(input.maintenance?.get(key) ?? null, outages),
      ...stateSpans(input.histories.get(key) ?? [], input.firstObservation),
      ...outages.flatMap(outageSpans),
      ...(gapsByInstance.get(target.instance) ?? []).map(gapSpan),
    ].flatMap((span) => clipSpan(span, input.window));
    const { instance, targetId, service, site } = target;
    return { instance, targetId, service, site, spans: spans.sort(byLayerThenStart) };
  });
}

/**
 * One row per instance of `rows`: not observed in its gaps and before the ledger's first run,
 * watching (drawn as up) in between.
 */
export function monitorRows(
  rows: readonly TimelineRow[],
  gaps: readonly MonitorGap[],
  window: Window,
): MonitorRow[] {
  const instances = [...new Set(rows.map((row) => row.instance))].sort(compareText);
  return instances.map((instance) => {
    const unwatched = gaps
      .filter((gap) => gap.instance === instance || gap.kind === "not-started")
      .flatMap((gap) => clipSpan(gapSpan(gap), window));
    const watching: TimelineSpan[] = [];
    let cursor = window.since;
    for (const gap of mergeIntervals(unwatched, window.until)) {
      if (gap.start > cursor) watching.push(watchingSpan(cursor, gap.start));
      cursor = Math.max(cursor, gap.end);
    }
    if (cursor < window.until) watching.push(watchingSpan(cursor, window.until));
    return { instance, spans: [...watching, ...unwatched].sort(byLayerThenStart) };
  });
}

function watchingSpan(start: number, end: number): TimelineSpan {
  return { kind: "up", start, end, note: "watching" };
}

function gapSpan(gap: MonitorGap): OpenSpan {
  return { start: gap.start, end: gap.end, kind: "unobserved", note: GAP_NOTES[gap.kind] };
}

interface OpenSpan extends Interval {
  kind: SpanKind;
  note: string | null;
}

function clipSpan(span: OpenSpan, window: Window): TimelineSpan[] {
  const clipped = clip(span, window);
  return clipped === null ? [] : [{ kind: span.kind, ...clipped, note: span.note }];
}

function maintenanceSpans(
  occurrences: readonly MaintenanceInterval[] | null,
  outages: readonly OutageFacts[],
): OpenSpan[] {
  if (occurrences !== null) {
    return occurrences.map((occurrence) => ({
      start: occurrence.start,
      end: occurrence.end,
      kind: "maintenance",
      note: `window ${occurrence.window}`,
    }));
  }
  // without the config only the outages know: each flagged one overlapped a window
  return outages
    .filter((outage) => outage.maintenance)
    .map((outage) => ({
      start: outage.start,
      end: outage.end,
      kind: "maintenance",
      note: "the outage overlapped a maintenance window",
    }));
}

/** Whether the target was degraded at some time in the window. */
export function hasDegradedSpan(history: TransitionColumns, window: Window): boolean {
  const { at, to } = history;
  let degradedSince: number | null = null;
  for (let i = 0; i < at.length; i++) {
    const time = at[i] as number;
    // clip() without its object: the span [degradedSince, time) meets the window
    if (
      degradedSince !== null &&
      Math.max(degradedSince, window.since) < Math.min(time, window.until)
    ) {
      return true;
    }
    degradedSince = to[i] === "degraded" ? time : null;
  }
  return degradedSince !== null && clip({ start: degradedSince, end: null }, window) !== null;
}

/**
 * Up, degraded and unknown (not observed) spans of a history; down is the outages' (they know
 * blocked). Before the first transition the state is unknown: before the ledger's first run
 * pantau was not running, after it the target had no verdict yet.
 */
function stateSpans(
  history: readonly HistoryTransition[],
  firstObservation: number | null,
): OpenSpan[] {
  const first = history[0]?.at ?? null;
  const spans: OpenSpan[] = beforeFirstVerdict(first, firstObservation);
  let open: OpenSpan | null = null;
  for (const transition of history) {
    if (open !== null) open.end = transition.at;
    open = spanOf(transition);
    if (open !== null) spans.push(open);
  }
  return spans;
}

function beforeFirstVerdict(first: number | null, firstObservation: number | null): OpenSpan[] {
  const end = first ?? null;
  const notRunning = "pantau was not running yet";
  if (firstObservation === null) {
    return [{ start: Number.NEGATIVE_INFINITY, end, kind: "unobserved", note: notRunning }];
  }
  const started = end === null ? firstObservation : Math.min(end, firstObservation);
  return [
    { start: Number.NEGATIVE_INFINITY, end: started, kind: "unobserved", note: notRunning },
    { start: started, end, kind: "unobserved", note: "unknown: no verdict yet" },
  ];
}

function spanOf(transition: HistoryTransition): OpenSpan | null {
  const { at: start, to } = transition;
  if (to === "up") return { start, end: null, kind: "up", note: null };
  if (to === "degraded") return { start, end: null, kind: "degraded", note: causeOf(transition) };
  if (to === "unknown") {
    const cause = causeOf(transition);
    return { start, end: null, kind: "unobserved", note: `unknown${cause ? `: ${cause}` : ""}` };
  }
  return null;
}
/** Blocked while its dependency was down (until `blockedUntil`), its own outage after that. */
function outageSpans(outage: OutageFacts): OpenSpan[] {
  const { start, end, blockedBy, blockedUntil } = outage;
  if (blockedBy === null) return [{ start, end, kind: "down", note: causeOf(outage) }];
  const cause = causeOf(outage);
  const note = `blocked by ${blockedBy}${cause === null ? "" : `; ${cause}`}`;
  const blocked: OpenSpan = { start, end: blockedUntil ?? end, kind: "blocked", note };
  if (blockedUntil === null) return [blocked];
  const own = `on its own after ${blockedBy} recovered`;
  return [blocked, { start: blockedUntil, end, kind: "down", note: own }];
}

function causeOf(fact: { reason: string | null; detail: string | null }): string | null {
  return causeText(fact.reason, fact.detail) || null;
}

function byLayerThenStart(a: TimelineSpan, b: TimelineSpan): number {
  return SPAN_KINDS.indexOf(a.kind) - SPAN_KINDS.indexOf(b.kind) || a.start - b.start;
}

/** Back up first (by when), then still down or degraded at the end, then never affected. */
function restorationRank(restoration: Restoration | undefined): [number, number] {
  if (restoration === undefined) return [2, 0];
  return restoration.restoredAt === null ? [1, 0] : [0, restoration.restoredAt];
}

function byGroup(
  a: TargetIdentity,
  b: TargetIdentity,
  rank: (target: TargetIdentity) => [number, number],
): number {
  const [ra, rb] = [rank(a), rank(b)];
  return (
    compareText(a.service, b.service) ||
    ra[0] - rb[0] ||
    ra[1] - rb[1] ||
    compareText(a.site, b.site) ||
    compareText(a.targetId, b.targetId) ||
    compareText(a.instance, b.instance)
  );
}
