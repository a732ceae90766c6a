import { describe, expect, it } from "vitest";
import { growthChecks, medianError, type SoakSample } from "./growth.js";

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

  it("needs six samples", () => {
    expect(() => growthChecks(samples(0).slice(0, 5))).toThrow(
      "need ≥ 6 samples for a growth check, got 5",
    );
  });
});
