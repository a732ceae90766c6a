import type { StatusRange } from "./verdict-rules.js";

/**
 * Durations and sizes as written in the config file. Pure: strings in, numbers or null out;
 * the schema turns a null into an issue with the expected form.
 */

const MS = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

// Prometheus' own grammar: units largest first, each at most once, integers only.
const DURATION_PATTERN =
  /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNITS = [MS.y, MS.w, MS.d, MS.h, MS.m, MS.s, MS.ms];

/** For the JSON Schema: the same grammar, so editors flag what the loader rejects. */
export const DURATION_JSON_PATTERN =
  "^(?=.)(\\d+y)?(\\d+w)?(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?(\\d+ms)?$";
export const DURATION_HINT = "use e.g. 500ms, 15s, 1m, 2h, 1d";

/** `1h30m` → 5_400_000; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const match = DURATION_PATTERN.exec(text);
  if (text === "" || match === null) return null;
  let total = 0;
  DURATION_UNITS.forEach((unit, index) => {
    const amount = match[index + 1];
    if (amount !== undefined) total += Number(amount) * unit;
  });
  return total;
}

/** 90_000 → `1m30s`: the inverse of parseDuration, for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ["d", MS.d],
    ["h", MS.h],
    ["m", MS.m],
    ["s", MS.s],
    ["ms", 1],
  ] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) parts.push(`${amount}${unit}`);
    rest -= amount * size;
  }
  return parts.join("");
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};
const SIZE_PATTERN = /^(\d+)(B|KB|MB|GB|KiB|MiB|GiB)?$/;

export const SIZE_JSON_PATTERN = "^\\d+(B|KB|MB|GB|KiB|MiB|GiB)?$";
export const SIZE_HINT = "use e.g. 512KiB, 1MiB, 10MB or a number of bytes";

/** `1MiB` → 1_048_576, `10MB` → 10_000_000, `4096` → 4096; null when not a size. */
export function parseSize(text: string): number | null {
  const match = SIZE_PATTERN.exec(text);
  if (match === null) return null;
  return Number(match[1]) * (SIZE_UNITS[match[2] ?? "B"] ?? 1);
}

const STATUS_PATTERN = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/;

/** `"200-299"` → { min: 200, max: 299 }; `204` or `"204"` → { min: 204, max: 204 }; else null. */
export function parseStatus(input: unknown): StatusRange | null {
  if (typeof input !== "string" && typeof input !== "number") return null;
  const match = STATUS_PATTERN.exec(String(input));
  if (match === null) return null;
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  return min <= max ? { min, max } : null;
}
