/**
 * Times for people and tools: RFC 3339 in UTC with milliseconds, as every report, listing, log
 * line and API answer writes them.
 */

const MS_PER_DAY = 86_400_000;
/** Years 0000–9999 print as four digits; beyond, toISOString's six-digit form is left to it. */
const FOUR_DIGIT_YEARS = { min: Date.UTC(0, 0, 1), max: Date.UTC(10_000, 0, 1) };
const dayPrefixes = new Map<number, string>();

/**
 * RFC 3339 in UTC with milliseconds: `2024-06-20T01:02:03.456Z`, exactly as toISOString. A
 * listing of 500,000 outages formats 1.5 million times, so each day's date part is made once.
 */
export function formatTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < FOUR_DIGIT_YEARS.min || ms >= FOUR_DIGIT_YEARS.max) {
    return new Date(ms).toISOString();
  }
  const day = Math.floor(ms / MS_PER_DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    prefix = new Date(day * MS_PER_DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  let rest = ms - day * MS_PER_DAY;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${prefix}${two(hours)}:${two(minutes)}:${two(seconds)}.${three(millis)}Z`;
}

function two(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}

function three(value: number): string {
  return value < 10 ? `00${value}` : value < 100 ? `0${value}` : `${value}`;
}
