/** Durations for people, as reports, logs, alerts and the terminal board write them. */

const MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration for people, never rounded up (a 59.9 s outage is not "1m"), at most 3 units:
 * - under 1 s: milliseconds as a fraction, `0.4s`, `0.042s`, `0s`;
 * - under 10 s: tenths, `5s`, `5.2s`; under 1 min: whole seconds, `13s`;
 * - under 1 h: `13m 5s`; under 1 d: `4h 13m` (seconds dropped); longer: `2d 4h 13m`.
 * Units that are zero are left out (`1h`, `2d 13m`). Input is in seconds with ms precision.
 */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const ms = Math.round(Math.abs(seconds) * MS.s);
  const text = humanMs(ms);
  return seconds < 0 && ms > 0 ? `-${text}` : text;
}

function humanMs(ms: number): string {
  if (ms < MS.s) return `${ms / MS.s}s`;
  if (ms < 10 * MS.s) return `${Math.floor(ms / 100) / 10}s`;
  if (ms < MS.m) return `${Math.floor(ms / MS.s)}s`;
  if (ms < MS.h) return units(ms, [MS.m, "m"], [MS.s, "s"]);
  if (ms < MS.d) return units(ms, [MS.h, "h"], [MS.m, "m"]);
  return units(ms, [MS.d, "d"], [MS.h, "h"], [MS.m, "m"]);
}

function units(ms: number, ...sizes: [number, string][]): string {
  let rest = ms;
  const parts: string[] = [];
  for (const [size, unit] of sizes) {
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (amount > 0 || parts.length === 0) parts.push(`${amount}${unit}`);
  }
  return parts.join(" ");
}
