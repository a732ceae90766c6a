/**
 * A seeded flapping schedule for the farm (crash harness, soak): target i holds one mode for a
 * slot of its own length, then draws the next; the mode at any instant is a pure function of
 * (seed, target, time), so the farm needs no timers and a replay with the same seed flaps alike.
 */
export type FlapOutcome = "ok" | "fail" | "hang" | "reset";

export interface FlapSchedule {
  seed: number;
  /** Each target's slot length is drawn once from [minMs, maxMs). */
  minMs: number;
  maxMs: number;
  /** Share of slots answering ok (0..1). */
  upShare: number;
  /** What the other slots do, drawn evenly. */
  failures: readonly Exclude<FlapOutcome, "ok">[];
}

/** 32-bit avalanche hash (murmur3's finaliser) of a few integers. */
export function mix(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ (v | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const unit = (h: number): number => h / 2 ** 32;

export function flapOutcome(schedule: FlapSchedule, index: number, now: number): FlapOutcome {
  const { seed, minMs, maxMs, upShare, failures } = schedule;
  const slotMs = minMs + Math.floor(unit(mix(seed, index, 1)) * Math.max(1, maxMs - minMs));
  const phase = Math.floor(unit(mix(seed, index, 2)) * slotMs);
  const slot = Math.floor((now + phase) / slotMs);
  const draw = mix(seed, index, 3, slot);
  if (unit(draw) < upShare || failures.length === 0) return "ok";
  return failures[mix(draw, 4) % failures.length] ?? "fail";
}

/** A seeded PRNG (mulberry32) for the harnesses' own random choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
