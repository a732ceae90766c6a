import type { Sample } from "../support/prom-text.js";

/** Sum of every series of a family (optionally those with a label value). */
export function total(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Cumulative bucket counts of an unlabelled histogram, by upper bound. */
export function buckets(samples: readonly Sample[], name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue;
    const le = s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

export function bucketDelta(
  after: Map<number, number>,
  before: Map<number, number>,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const [le, count] of after) out.set(le, count - (before.get(le) ?? 0));
  return out;
}

/** Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank. */
export function histogramQuantile(cumulative: Map<number, number>, q: number): number {
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const count = cumulative.get(Number.POSITIVE_INFINITY) ?? 0;
  if (count === 0) return Number.NaN;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const upTo = cumulative.get(le) ?? 0;
    if (upTo >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lower;
      return lower + ((le - lower) * (rank - below)) / Math.max(1, upTo - below);
    }
    lower = le;
    below = upTo;
  }
  return lower;
}
