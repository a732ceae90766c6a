import { median } from "../bench/table.js";

/** One 10-second sample of the daemon under soak. */
export interface SoakSample {
  /** Seconds since the daemon was healthy. */
  t: number;
  rssMiB: number;
  heapMiB: number;
  fds: number;
  /** p99 of the scheduler lag over the window since the previous sample, ms. */
  lagP99Ms: number;
  probesPerSecond: number;
  transitions: number;
  reloads: number;
}

export type GrowthKey = "rssMiB" | "heapMiB" | "fds" | "lagP99Ms";

/**
 * What counts as noise between the medians of two thirds: max(absolute, relative × earlier).
 * From 3- and 30-minute runs at 2,000 targets on the shared 2-core machine:
 * - RSS and heap move with V8's GC cycle (heap used swings ~10–20 MiB between collections; a
 *   median of ≥ 6 samples damps it); a leak of 1 KiB per probe would add ~20 MiB a minute.
 * - fds are mostly sockets of probes in flight: hanging slots hold theirs for the 2 s timeout, so
 *   they follow how many targets the flap schedule has hanging (tens, varying by window).
 * - lag p99 reads a bucketed histogram (…, 10, 25, 50, 100 ms) and rises with whatever else
 *   runs on the machine: only a doubling beyond a floor is taken as growth.
 */
export const TOLERANCE: Record<GrowthKey, { absolute: number; relative: number; unit: string }> = {
  rssMiB: { absolute: 12, relative: 0.1, unit: "MiB" },
  heapMiB: { absolute: 10, relative: 0.15, unit: "MiB" },
  fds: { absolute: 40, relative: 0.5, unit: "" },
  lagP99Ms: { absolute: 50, relative: 1, unit: "ms" },
};

export interface GrowthCheck {
  key: GrowthKey;
  second: number;
  last: number;
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
    const before = median(second.map((s) => s[key]));
    const after = median(last.map((s) => s[key]));
    const { absolute, relative } = TOLERANCE[key];
    const allowed = before + Math.max(absolute, relative * before);
    return { key, second: before, last: after, allowed, ok: after <= allowed };
  });
}
