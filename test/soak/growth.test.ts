import { describe, expect, it } from "vitest";
import { growthChecks, medianError, type SoakSample, warmUpEnd } from "./growth.js";

/** 10-s samples: a heap sawtooth between 50 and 140 MiB, plus an optional leak. */
function samples(leakMiBPerSample: number, count = 18): SoakSample[] {
  return Array.from({ length: count }, (_, i) => ({
    t: (i + 1) * 10,
    rssMiB: 240 + leakMiBPerSample * i + (i % 3),
    heapMiB: 50 + ((i * 37) % 90) + leakMiBPerSample * i,
    heapTotalMiB: 160,
    externalMiB: 5,
    fds: 110 + (i % 4) * 10,
    lagP99Ms: 50 + (i % 5) * 30,
    probesPerSecond: 400,
    transitions: i * 300,
    reloads: Math.floor(i / 6),
  }));
}

const verdicts = (s: SoakSample[]) => Object.fromEntries(growthChecks(s).map((c) => [c.key, c.ok]));

describe("the soak's growth check", () => {
  it("takes a sawtooth heap and noisy fds and lag for noise", () => {
    expect(verdicts(samples(0))).toEqual({
      rssMiB: true,
      heapMiB: true,
      fds: true,
      lagP99Ms: true,
    });
  });

  it("finds a leak of 1 KiB per probe (4 MiB per 10 s sample at 400 probes/s) in RSS in 3 minutes", () => {
    expect(verdicts(samples(4)).rssMiB).toBe(false);
  });

  it("finds a heap leak of 3 MiB a minute through the sawtooth in 30 minutes", () => {
    expect(verdicts(samples(0, 180)).heapMiB).toBe(true);
    expect(verdicts(samples(0.5, 180)).heapMiB).toBe(false);
  });

  it("estimates the error of a median from the spread", () => {
    expect(medianError([1, 1, 1, 1])).toBe(0);
    // IQR of 0..99 is 50 (floor-index quantiles): σ ≈ 37.1, error ≈ 4.65
    expect(medianError(Array.from({ length: 100 }, (_, i) => i))).toBeCloseTo(4.65, 1);
  });

  it("needs six samples after warm-up", () => {
    expect(() => growthChecks(samples(0).slice(0, 8))).toThrow(
      "need ≥ 6 samples after warm-up for a growth check, got 5 (warm-up ended at 30 s)",
    );
  });

  /**
   * The shape of a 3-minute CI soak (2026-11-29, seed 244292): heap and RSS climb for two
   * minutes until V8's first major collection, then hold. Judged by thirds, the climb looked
   * like growth (RSS 176 → 226 MiB); after the collection there is none.
   */
  function firstCollectionLate(rssLeakAfter: number): SoakSample[] {
    return samples(0, 24).map((s, i) => {
      const climbing = i < 12;
      return {
        ...s,
        heapMiB: climbing ? 40 + i * 8 : 50 + ((i * 37) % 70),
        rssMiB: climbing ? 135 + i * 7 : 225 + (i % 2) + rssLeakAfter * (i - 12),
      };
    });
  }

  it("judges only after the first major collection, when that comes after the first third", () => {
    expect(warmUpEnd(firstCollectionLate(0))).toBe(12);
    expect(verdicts(firstCollectionLate(0))).toEqual({
      rssMiB: true,
      heapMiB: true,
      fds: true,
      lagP99Ms: true,
    });
  });

  it("still finds RSS growth after the first major collection", () => {
    expect(verdicts(firstCollectionLate(4)).rssMiB).toBe(false);
  });

  it("keeps the first third as warm-up when the first big drop comes after the first half", () => {
    // CI, 4 minutes under the 1 GiB heap limit: small collections, the first ≥ 30 % drop at 190 s
    const lateDrop = samples(0, 24).map((s, i) => ({
      ...s,
      heapMiB: i === 18 ? 30 : 50 + (i % 3),
    }));
    expect(warmUpEnd(lateDrop)).toBe(8);
    expect(growthChecks(lateDrop)).toHaveLength(4);
  });

  it("keeps the first third as warm-up when the heap never collects", () => {
    const neverCollects = samples(0, 18).map((s, i) => ({ ...s, heapMiB: 40 + i * 10 }));
    expect(warmUpEnd(neverCollects)).toBe(6);
    expect(verdicts(neverCollects).heapMiB).toBe(false);
  });
});
