import { Cron } from "croner";
import { globsPattern } from "../text/glob.js";

/**
 * Maintenance windows (the `maintenance` key and overlay, docs/configuration.md), pure apart from croner:
 * time is always an argument. An occurrence starts at a fire time of the window's `cron` in its
 * `timezone` (null = UTC) and lasts `duration` ms of elapsed time, so a window that spans a DST
 * change still lasts exactly `duration`. Occurrences are half-open: [start, end).
 */

/**
 * One occurrence of a window, [start, end) in epoch ms: the shape of ledger/outages.ts'
 * ClosedInterval (declared here so health/ imports nothing from ledger/).
 */
export interface MaintenanceInterval {
  start: number;
  end: number;
  /** The window's name. */
  window: string;
}

/** A `maintenance` entry as configured (durations in ms); config/ resolves it, this file reads it. */
export interface MaintenanceWindow {
  name: string;
  targets: string[];
  services: string[];
  sites: string[];
  cron: string;
  timezone: string | null;
  duration: number;
}

/** What a window needs to know about a target to decide whether it applies. */
export interface MaintenanceSubject {
  id: string;
  service: string;
  site: string;
}

/** How many occurrences nextMaintenance lists when not told. */
export const DEFAULT_UPCOMING_COUNT = 10;

/** A window's selectors and schedule, compiled once per window object. */
interface CompiledWindow {
  /** One anchored pattern for all `targets` globs; null when there are none. */
  idPattern: RegExp | null;
  services: ReadonlySet<string>;
  sites: ReadonlySet<string>;
  cron: Cron;
  /** The last firstStartAfter answer: `next` is the first start after every time in [after, next). */
  memo: { after: number; next: number | null } | null;
}

// Keyed by the window object: a reload brings new objects and the old entries are collected.
const compiled = new WeakMap<MaintenanceWindow, CompiledWindow>();

function compile(window: MaintenanceWindow): CompiledWindow {
  const cached = compiled.get(window);
  if (cached !== undefined) return cached;
  const entry: CompiledWindow = {
    idPattern: window.targets.length > 0 ? globsPattern(window.targets) : null,
    services: new Set(window.services),
    sites: new Set(window.sites),
    // paused and without a callback: used only to compute fire times, never schedules a timer
    cron: new Cron(window.cron, { paused: true, timezone: window.timezone ?? "UTC" }),
    memo: null,
  };
  compiled.set(window, entry);
  return entry;
}

/**
 * Whether a window covers a target: its id matches one of `targets` (globs), OR its service is
 * in `services`, OR its site is in `sites`. An empty list selects nothing, so a window with no
 * selector at all (which the config rejects) applies to no target.
 */
export function windowApplies(window: MaintenanceWindow, target: MaintenanceSubject): boolean {
  const { idPattern, services, sites } = compile(window);
  return (
    (idPattern?.test(target.id) ?? false) || services.has(target.service) || sites.has(target.site)
  );
}

/**
 * The first fire time strictly after `after`, or null when the pattern never fires again
 * (croner stops at year 3000). croner's nextRun is already strictly-after, including when
 * `after` has milliseconds: fire times are whole seconds.
 */
function nextStart(window: CompiledWindow, after: number): number | null {
  return window.cron.nextRun(new Date(after))?.getTime() ?? null;
}

/**
 * nextStart behind a one-entry memo. A croner lookup costs ~0.2 ms and the engine asks on every
 * probe, mostly about nearby times: any time in [after, next) has the same answer.
 */
function firstStartAfter(window: CompiledWindow, after: number): number | null {
  const { memo } = window;
  if (memo !== null && after >= memo.after && (memo.next === null || after < memo.next)) {
    return memo.next;
  }
  const next = nextStart(window, after);
  // replacing is right even for an earlier time with the same answer: [after, next) then
  // contains the old range
  window.memo = { after, next };
  return next;
}

/** The earliest occurrence covering `at`, or null: the first start in (at - duration, at]. */
function occurrenceCovering(window: MaintenanceWindow, at: number): MaintenanceInterval | null {
  const start = firstStartAfter(compile(window), at - window.duration);
  if (start === null || start > at) return null;
  return { window: window.name, start, end: start + window.duration };
}

/**
 * The maintenance occurrence covering `at` (start <= at < end) among the windows that apply to
 * the target; when several do, the earliest start, ties by window name.
 */
export function activeMaintenance(
  windows: readonly MaintenanceWindow[],
  target: MaintenanceSubject,
  at: number,
): MaintenanceInterval | null {
  let earliest: MaintenanceInterval | null = null;
  for (const window of windows) {
    if (!windowApplies(window, target)) continue;
    const occurrence = occurrenceCovering(window, at);
    if (occurrence !== null && (earliest === null || isBefore(occurrence, earliest))) {
      earliest = occurrence;
    }
  }
  return earliest;
}

/**
 * Every occurrence of the applying windows that overlaps [from, to), whole (not clipped), sorted
 * by start then window name. Occurrences may overlap; mergeIntervals in ledger/outages.ts takes
 * them as they are. Costs one croner lookup per occurrence, so a very frequent window over a
 * long range is slow.
 */
export function maintenanceIntervals(
  windows: readonly MaintenanceWindow[],
  target: MaintenanceSubject,
  from: number,
  to: number,
): MaintenanceInterval[] {
  if (to <= from) return [];
  const intervals: MaintenanceInterval[] = [];
  for (const window of windows) {
    if (!windowApplies(window, target)) continue;
    // an occurrence overlaps [from, to) when from - duration < start < to
    for (const occurrence of occurrencesStartingAfter(window, from - window.duration)) {
      if (occurrence.start >= to) break;
      intervals.push(occurrence);
    }
  }
  return intervals.sort(byStartThenWindow);
}

/**
 * The next `count` occurrences not yet over at `at` (end > at: one in progress is listed first),
 * of the windows that apply to `target`, or of every window when `target` is null; sorted by
 * start then window name. For GET /api/v1/maintenance.
 */
export function nextMaintenance(
  windows: readonly MaintenanceWindow[],
  target: MaintenanceSubject | null,
  at: number,
  count = DEFAULT_UPCOMING_COUNT,
): MaintenanceInterval[] {
  if (count <= 0) return [];
  const upcoming: MaintenanceInterval[] = [];
  for (const window of windows) {
    if (target !== null && !windowApplies(window, target)) continue;
    let taken = 0;
    for (const occurrence of occurrencesStartingAfter(window, at - window.duration)) {
      upcoming.push(occurrence);
      if (++taken === count) break;
    }
  }
  return upcoming.sort(byStartThenWindow).slice(0, count);
}

/** Occurrences in start order, the first starting strictly after `after`. */
function* occurrencesStartingAfter(
  window: MaintenanceWindow,
  after: number,
): Generator<MaintenanceInterval> {
  const compiledWindow = compile(window);
  for (let start = nextStart(compiledWindow, after); start !== null; ) {
    yield { window: window.name, start, end: start + window.duration };
    start = nextStart(compiledWindow, start);
  }
}

function isBefore(a: MaintenanceInterval, b: MaintenanceInterval): boolean {
  return byStartThenWindow(a, b) < 0;
}

function byStartThenWindow(a: MaintenanceInterval, b: MaintenanceInterval): number {
  return a.start - b.start || (a.window < b.window ? -1 : a.window > b.window ? 1 : 0);
}
