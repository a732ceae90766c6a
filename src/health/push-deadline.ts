/**
 * The deadline rule of push targets (docs/states-and-outages.md#push-targets), pure: a target
 * whose last push arrived at `base` must push again before `base + expect_every + grace`, its
 * first deadline; each `expect_every` after that without a push is one more missed deadline.
 * A missed deadline is a failed observation at the deadline's time, so thresholds count them
 * as they count failed probes, and an outage starts at the first one.
 */

export interface PushTiming {
  /** How often the target pushes, ms. */
  expectEvery: number;
  /** How late a push may be, ms. */
  grace: number;
}

/** The k-th deadline (k ≥ 1) after a push at `base`: base + k × expect_every + grace. */
export function pushDeadline(base: number, timing: PushTiming, k: number): number {
  return base + k * timing.expectEvery + timing.grace;
}

export interface MissedDeadlines {
  /** The deadlines missed by `now` that are observed, oldest first (see `missedDeadlines`). */
  missed: number[];
  /** The index of the first deadline still ahead of `now`. */
  next: number;
}

/**
 * The deadlines from the `from`-th on that have passed at `now` — a deadline at `now` has: a
 * push must arrive before it. After a long gap (a restart), only the first `limit` of them and
 * the last: the first decide (a threshold counts them), the last bounds when the failure was
 * last seen (`last_failed_at`); those between could only confirm. Also the index of the first
 * deadline still ahead.
 */
export function missedDeadlines(
  base: number,
  timing: PushTiming,
  from: number,
  now: number,
  limit: number,
): MissedDeadlines {
  const last = lastPassed(base, timing, now);
  if (last < from) return { missed: [], next: from };
  const first = Math.min(last, from + Math.max(1, limit) - 1);
  const missed: number[] = [];
  for (let k = from; k <= first; k++) missed.push(pushDeadline(base, timing, k));
  if (last > first) missed.push(pushDeadline(base, timing, last));
  return { missed, next: last + 1 };
}

/**
 * The index of the first deadline after `after`: where a watch starts when its timing changes
 * (a reload), so that no deadline that passed under the old timing is counted under the new.
 */
export function firstDeadlineAfter(base: number, timing: PushTiming, after: number): number {
  return Math.max(1, lastPassed(base, timing, after) + 1);
}

/** The index of the last deadline at or before `now` (0 or less: none yet). */
function lastPassed(base: number, timing: PushTiming, now: number): number {
  return Math.floor((now - base - timing.grace) / timing.expectEvery);
}
