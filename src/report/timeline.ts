import type { MaintenanceInterval } from "../health/maintenance.js";
import type { StoredTransition } from "../ledger/ledger.js";
import {
  type ClosedInterval,
  clip,
  type Interval,
  type TransitionColumns,
  type Window,
} from "../ledger/outages.js";
import type { OutageFacts, TargetIdentity } from "./numbers.js";

/** What a history needs for degraded spans: times, states, and the cause a span's note shows. */
export type HistoryTransition = Pick<StoredTransition, "to" | "at" | "reason" | "detail">;

/**
 * What the report's timeline picture shows, pure: per target, the spans of the window it was
 * down (on its own, or blocked by a dependency), degraded, in maintenance, or not watched.
 */

/** In drawing order: a later kind is drawn over an earlier one. */
export const SPAN_KINDS = ["maintenance", "degraded", "blocked", "down", "blind"] as const;
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

/** Why the monitor was not watching: a restart gap, every canary failing, or no daemon running. */
export type MonitorGapKind = "restart" | "blind" | "stopped";

export interface MonitorGap extends Interval {
  instance: string;
  kind: MonitorGapKind;
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
  keyOf(target: { instance: string; targetId: string }): string;
}

const GAP_NOTES: Record<MonitorGapKind, string> = {
  restart: "restart: no daemon was running",
  blind: "blind: every canary failed",
  stopped: "stopped: no daemon running",
};

/** One row per target, grouped by service, then site, then target id and instance. */
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
  return [...input.targets].sort(byGroup).map((target) => {
    const key = input.keyOf(target);
    const outages = outagesByKey.get(key) ?? [];
    const spans = [
      ...maintenanceSpans(input.maintenance?.get(key) ?? null, outages),
      ...degradedSpans(input.histories.get(key) ?? []),
      ...outages.flatMap(outageSpans),
      ...(gapsByInstance.get(target.instance) ?? []).map((gap) => ({
        ...gap,
        kind: "blind" as const,
        note: GAP_NOTES[gap.kind],
      })),
    ].flatMap((span) => clipSpan(span, input.window));
    const { instance, targetId, service, site } = target;
    return { instance, targetId, service, site, spans: spans.sort(byLayerThenStart) };
  });
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

function degradedSpans(history: readonly HistoryTransition[]): OpenSpan[] {
  const spans: OpenSpan[] = [];
  let open: OpenSpan | null = null;
  for (const transition of history) {
    if (open !== null) {
      open.end = transition.at;
      open = null;
    }
    if (transition.to === "degraded") {
      open = { start: transition.at, end: null, kind: "degraded", note: causeOf(transition) };
      spans.push(open);
    }
  }
  return spans;
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
  const parts = [fact.reason, fact.detail].filter((part) => part !== null && part !== "");
  return parts.length === 0 ? null : parts.join(": ");
}

function byLayerThenStart(a: TimelineSpan, b: TimelineSpan): number {
  return SPAN_KINDS.indexOf(a.kind) - SPAN_KINDS.indexOf(b.kind) || a.start - b.start;
}

function byGroup(a: TargetIdentity, b: TargetIdentity): number {
  return (
    compareText(a.service, b.service) ||
    compareText(a.site, b.site) ||
    compareText(a.targetId, b.targetId) ||
    compareText(a.instance, b.instance)
  );
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
