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
  /** The deadlines missed by `now`, oldest first: at most `limit` of them. */
  missed: number[];
  /** The index of the first deadline still ahead of `now`. */
  next: number;
}

/**
 * The deadlines from the `from`-th on that have passed at `now` — a deadline at `now` has: a
 * push must arrive before it — the first `limit` of them (those after add nothing a threshold
 * could count), and the index of the first still ahead.
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
  const count = Math.min(last - from + 1, Math.max(0, limit));
  const missed: number[] = [];
  for (let k = from; k < from + count; k++) missed.push(pushDeadline(base, timing, k));
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
