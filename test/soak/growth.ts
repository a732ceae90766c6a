import { median, quantile } from "../bench/table.js";

/** One 10-second sample of the daemon under soak. */
export interface SoakSample {
  /** Seconds since the daemon was healthy. */
  t: number;
  rssMiB: number;
  heapMiB: number;
  /** V8's committed heap and memory outside it (Buffers, native): reported, not judged. */
  heapTotalMiB: number;
  externalMiB: number;
  fds: number;
  /** p99 of the scheduler lag over the window since the previous sample, ms. */
  lagP99Ms: number;
  probesPerSecond: number;
  transitions: number;
  reloads: number;
}

export type GrowthKey = "rssMiB" | "heapMiB" | "fds" | "lagP99Ms";

/**
 * The floor of what counts as growth between two thirds' medians: max(absolute, relative ×
 * earlier). Above it, the noise term of `growthChecks` (three standard errors of the
 * difference of the medians) usually decides: V8's heap swings 50–150 MiB between collections at
 * 2,000 targets, fds follow how many targets hang at the moment, and lag p99 rises with whatever
 * else runs on the machine, so a fixed tolerance would be either flaky in 3 minutes or blind in 30.
 */
export const TOLERANCE: Record<GrowthKey, { absolute: number; relative: number; unit: string }> = {
  rssMiB: { absolute: 8, relative: 0.05, unit: "MiB" },
  heapMiB: { absolute: 8, relative: 0.05, unit: "MiB" },
  fds: { absolute: 10, relative: 0.1, unit: "" },
  lagP99Ms: { absolute: 50, relative: 1, unit: "ms" },
};

/** Three standard errors: a no-growth run exceeds it about once in a thousand per measure. */
const NOISE_SIGMAS = 3;

/**
 * Standard error of a sample's median, from its spread: σ ≈ IQR / 1.349 (normal), and the
 * median's error ≈ 1.2533 σ / √n. A steady leak widens the spread too, but its shift between
 * thirds (slope × n samples) outgrows 3 errors of the difference (≈ 1.5 × slope × √n) for n ≥ 3.
 */
export function medianError(values: readonly number[]): number {
  const iqr = quantile(values, 0.75) - quantile(values, 0.25);
  return (1.2533 * (iqr / 1.349)) / Math.sqrt(values.length);
}

export interface GrowthCheck {
  key: GrowthKey;
  /** Median over the earlier half of the judged samples (those after warm-up). */
  earlier: number;
  /** Median over the later half. */
  later: number;
  /** 3 standard errors of the difference of the medians. */
  noise: number;
  allowed: number;
  ok: boolean;
}

/** A sample whose heap used is this much below the previous one's follows a major collection. */
const MAJOR_GC_DROP = 0.3;

/**
 * The index of the first judged sample: warm-up is the first third AND everything before V8's
 * first major collection. Until that collection the old space only grows (every target's first
 * probes, V8 sizing its heap), and RSS with it; how long that takes depends on the allocation
 * rate, so a fixed share of a short run can still be inside it (a 3-minute soak once saw its
 * first major collection at 130 s). A heap that never collects keeps the first third as warm-up,
 * so a leak that outruns every collection is still judged; so does a first big drop after the
 * first half.
 */
export function warmUpEnd(samples: readonly SoakSample[]): number {
  const third = Math.floor(samples.length / 3);
  // only a collection in the first half ends warm-up: a later one leaves too little to judge
  // (under a heap limit the early collections are small and the first big drop can come late)
  const half = Math.floor(samples.length / 2);
  for (let i = 1; i <= half; i++) {
    const before = (samples[i - 1] as SoakSample).heapMiB;
    if ((samples[i] as SoakSample).heapMiB <= before * (1 - MAJOR_GC_DROP))
      return Math.max(i, third);
  }
  return third;
}

/**
 * Compares the median of the later half of the judged samples (after warm-up, see `warmUpEnd`)
 * against the earlier half's. Needs at least 6 judged samples.
 */
export function growthChecks(samples: readonly SoakSample[]): GrowthCheck[] {
  const start = warmUpEnd(samples);
  const judged = samples.slice(start);
  if (judged.length < 6) {
    throw new Error(
      `need ≥ 6 samples after warm-up for a growth check, got ${judged.length} (warm-up ended at ${samples[start - 1]?.t ?? 0} s)`,
    );
  }
  const half = Math.floor(judged.length / 2);
  const first = judged.slice(0, half);
  const second = judged.slice(judged.length - half);
  return (Object.keys(TOLERANCE) as GrowthKey[]).map((key) => {
    const earlierValues = first.map((s) => s[key]);
    const laterValues = second.map((s) => s[key]);
    const earlier = median(earlierValues);
    const later = median(laterValues);
    const noise = NOISE_SIGMAS * Math.hypot(medianError(earlierValues), medianError(laterValues));
    const { absolute, relative } = TOLERANCE[key];
    const allowed = earlier + Math.max(absolute, relative * earlier, noise);
    return { key, earlier, later, noise, allowed, ok: later <= allowed };
  });
}
