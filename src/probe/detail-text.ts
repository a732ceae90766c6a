/** How a probe's detail writes durations, instants and status ranges: short, exact, for humans. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * 2310.4 → `2.31s`, 2000 → `2s`, 120000 → `2m`, 450 → `450ms`: measured latencies keep two
 * decimals, configured whole units read as they were written.
 */
export function formatDuration(ms: number): string {
  if (ms < SECOND) return `${Math.round(ms)}ms`;
  for (const [unit, size] of [
    ["d", DAY],
    ["h", HOUR],
    ["m", MINUTE],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Number((ms / SECOND).toFixed(2))}s`;
}

/** Whole days when at least one, else whole hours, else minutes: `9d`, `5h`, `12m`. */
export function formatSpan(ms: number): string {
  const span = Math.abs(ms);
  if (span >= DAY) return `${Math.floor(span / DAY)}d`;
  if (span >= HOUR) return `${Math.floor(span / HOUR)}h`;
  return `${Math.floor(span / MINUTE)}m`;
}

/** RFC 3339 in UTC without milliseconds when they are zero, as certificates state times. */
export function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(".000Z", "Z");
}

/** The status ranges of `expect.status`, as written in the config: `200-299, 304`. */
export function formatStatusRanges(ranges: readonly { min: number; max: number }[]): string {
  return ranges
    .map((range) => (range.min === range.max ? `${range.min}` : `${range.min}-${range.max}`))
    .join(", ");
}
