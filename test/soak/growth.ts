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
  second: number;
  last: number;
  /** 3 standard errors of the difference of the medians. */
  noise: number;
  allowed: number;
  ok: boolean;
}

/**
 * Compares the last third's median against the second third's (the first third is warm-up:
 * every target's first probes, V8 sizing its heap). Needs at least 6 samples.
 */
export function growthChecks(samples: readonly SoakSample[]): GrowthCheck[] {
  if (samples.length < 6)
    throw new Error(`need ≥ 6 samples for a growth check, got ${samples.length}`);
  const third = Math.floor(samples.length / 3);
  const second = samples.slice(third, 2 * third);
  const last = samples.slice(samples.length - third);
  return (Object.keys(TOLERANCE) as GrowthKey[]).map((key) => {
    const earlier = second.map((s) => s[key]);
    const later = last.map((s) => s[key]);
    const before = median(earlier);
    const after = median(later);
    const noise = NOISE_SIGMAS * Math.hypot(medianError(earlier), medianError(later));
    const { absolute, relative } = TOLERANCE[key];
    const allowed = before + Math.max(absolute, relative * before, noise);
    return { key, second: before, last: after, noise, allowed, ok: after <= allowed };
  });
}
