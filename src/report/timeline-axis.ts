import type { Window } from "../ledger/outages.js";
import { formatTime } from "../text/time.js";

/**
 * Ticks for the timeline's UTC time axis, pure: the largest round step (seconds, minutes, hours
 * or days) that still gives at least MIN_TICKS ticks across the window, ticks on multiples of
 * it, labelled with the time of day (the date below it where the day changes) or, for steps of
 * a day and more, the date (the year below it where the year changes). Each step is at most
 * twice the one before, so a window gets fewer than 2 × MIN_TICKS + 1 ticks: room enough for
 * their labels in the picture's plot.
 */

export interface AxisTick {
  at: number;
  label: string;
  /** The date (or year) under the label where it changes; null elsewhere. */
  sublabel: string | null;
}

export const MIN_TICKS = 5;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [1, 2, 3, 5, 10, 15, 20, 30]
  .map((seconds) => seconds * SECOND)
  .concat([1, 2, 3, 5, 10, 15, 20, 30].map((minutes) => minutes * MINUTE))
  .concat([1, 2, 3, 4, 6, 12].map((hours) => hours * HOUR))
  .concat([1, 2, 3, 4, 7, 14, 28].map((days) => days * DAY));

/** The largest step giving at least `minTicks` ticks (a window shorter than that: 1 s). */
export function axisStep(window: Window, minTicks = MIN_TICKS): number {
  const span = window.until - window.since;
  // whole multiples of a step fit at least floor(span / step) times
  const fits = (step: number) => Math.floor(span / step) >= minTicks;
  let step = STEPS[0] as number;
  for (const candidate of STEPS) if (fits(candidate)) step = candidate;
  // beyond four weeks: doubling multiples of 28 days
  for (let longer = 56 * DAY; fits(longer); longer *= 2) step = longer;
  return step;
}

export function axisTicks(window: Window, minTicks = MIN_TICKS): AxisTick[] {
  const step = axisStep(window, minTicks);
  const ticks: AxisTick[] = [];
  let previous: string | null = null;
  for (let at = Math.ceil(window.since / step) * step; at <= window.until; at += step) {
    const iso = formatTime(at);
    const [date, time] = [iso.slice(0, 10), iso.slice(11, step < MINUTE ? 19 : 16)];
    if (step < DAY) {
      ticks.push({ at, label: time, sublabel: date === previous ? null : date });
      previous = date;
    } else {
      const year = iso.slice(0, 4);
      ticks.push({ at, label: date.slice(5), sublabel: year === previous ? null : year });
      previous = year;
    }
  }
  return ticks;
}
