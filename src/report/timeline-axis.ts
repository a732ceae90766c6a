import type { Window } from "../ledger/outages.js";
import { formatTime } from "./format.js";

/**
 * Ticks for the timeline's UTC time axis, pure: a round step (minutes, hours or days) that gives
 * at most `maxTicks` ticks over the window, ticks on multiples of it, labelled with the time of
 * day (the date below it where the day changes) or, for steps of a day and more, the date (the
 * year below it where the year changes).
 */

export interface AxisTick {
  at: number;
  label: string;
  /** The date (or year) under the label where it changes; null elsewhere. */
  sublabel: string | null;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [1, 2, 5, 10, 15, 30]
  .map((minutes) => minutes * MINUTE)
  .concat([1, 2, 3, 6, 12].map((hours) => hours * HOUR))
  .concat([1, 2, 7, 14, 28].map((days) => days * DAY));

export function axisStep(window: Window, maxTicks: number): number {
  const span = window.until - window.since;
  const most = Math.max(2, Math.floor(maxTicks));
  const step = STEPS.find((candidate) => span / candidate <= most);
  return step ?? Math.ceil(span / most / (28 * DAY)) * 28 * DAY;
}

export function axisTicks(window: Window, maxTicks: number): AxisTick[] {
  const step = axisStep(window, maxTicks);
  const ticks: AxisTick[] = [];
  let previous: string | null = null;
  for (let at = Math.ceil(window.since / step) * step; at <= window.until; at += step) {
    const iso = formatTime(at);
    const [date, time] = [iso.slice(0, 10), iso.slice(11, 16)];
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
