import type { Target } from "../../src/config/types.js";
import type { TargetState } from "../../src/health/types.js";
import type { NewTransition } from "../../src/ledger/ledger.js";
import { makeTarget } from "../support/targets.js";

/**
 * The quorum bench's scripted estate (pure): the targets, and for each vantage the transitions
 * its engine would commit and when. Targets are probed every 10 s at a phase of their own per
 * vantage; a target is down after 3 failed probes (at = the first, decided after the third) and
 * up after 2 good ones, as with the shipped defaults. The script, from its start T0:
 * - quiet: a few targets flap (fail for 30–35 s) for all three vantages (group outages), and as
 *   many for one vantage only (disagreements);
 * - dark at `darkAt`: every target fails for every vantage (the data centre goes dark); each
 *   vantage's first failed probe of a target falls in [darkAt, darkAt + 10 s) by its phase;
 * - recovery airport by airport: site k answers again at darkAt + 40 s + k × 3 s.
 */

export const INTERVAL_MS = 10_000;
const FAILURE_THRESHOLD = 3;
const SUCCESS_THRESHOLD = 2;
/** How long a probe takes before its result is decided (a refused connection). */
const PROBE_MS = 20;
export const SITES = 10;
export const QUIET_FLAPS = 50;
export const DARK_AT_MS = 70_000;
const RECOVERY_FIRST_MS = 40_000;
const RECOVERY_STEP_MS = 3_000;
/** When the last recovery has surely been committed by every vantage. */
export const SCRIPT_END_MS =
  DARK_AT_MS +
  RECOVERY_FIRST_MS +
  (SITES - 1) * RECOVERY_STEP_MS +
  SUCCESS_THRESHOLD * INTERVAL_MS +
  5_000;

export function benchTargets(count: number): Target[] {
  return Array.from({ length: count }, (_, i) =>
    makeTarget(`t${i}`, {
      interval: INTERVAL_MS,
      failureThreshold: FAILURE_THRESHOLD,
      successThreshold: SUCCESS_THRESHOLD,
      site: `ap${i % SITES}`,
      service: "autogate",
    }),
  );
}

/** One transition a vantage's engine commits once `due` (its detectedAt) has come. */
export interface Due {
  due: number;
  transition: NewTransition;
}

/** A span of wall time [from, to) during which a target's probes from one vantage fail. */
interface FailWindow {
  from: number;
  to: number;
}

/** mulberry32: a small seeded generator, so every run scripts the same estate. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Each vantage's transitions after T0 (`t0`), sorted by due time. `vantages` in order; targets
 * 0 … QUIET_FLAPS−1 flap for all, the next QUIET_FLAPS for vantage 0 only.
 */
export function scriptEstate(
  targets: readonly Target[],
  vantages: number,
  t0: number,
  seed = 18,
): { phases: number[][]; dues: Due[][] } {
  const random = seeded(seed);
  const phases = Array.from({ length: vantages }, () =>
    targets.map(() => Math.floor(random() * INTERVAL_MS)),
  );
  const flapStart = targets.map(() => t0 + Math.floor(random() * 20_000));
  const flapLength = targets.map(() => 30_000 + Math.floor(random() * 5_000));
  const dues = phases.map((phase, v) => {
    const list: Due[] = [];
    targets.forEach((target, i) => {
      const windows: FailWindow[] = [];
      if (i < QUIET_FLAPS || (v === 0 && i < 2 * QUIET_FLAPS)) {
        windows.push({
          from: flapStart[i] as number,
          to: (flapStart[i] as number) + (flapLength[i] as number),
        });
      }
      const site = i % SITES;
      windows.push({
        from: t0 + DARK_AT_MS,
        to: t0 + DARK_AT_MS + RECOVERY_FIRST_MS + site * RECOVERY_STEP_MS,
      });
      for (const w of windows) list.push(...outage(target, phase[i] as number, w));
    });
    return list.sort((a, b) => a.due - b.due);
  });
  return { phases, dues };
}

/** The first probe at or after `t` of a target probed at `phase` (mod the interval). */
function probeAtOrAfter(t: number, phase: number): number {
  const k = Math.ceil((t - phase) / INTERVAL_MS);
  return phase + k * INTERVAL_MS;
}

function outage(target: Target, phase: number, w: FailWindow): Due[] {
  const down = probeAtOrAfter(w.from, phase);
  // fewer failed probes than the threshold: no outage
  if (down + (FAILURE_THRESHOLD - 1) * INTERVAL_MS >= w.to) return [];
  const up = probeAtOrAfter(w.to, phase);
  return [
    at(target, "up", "down", down, down + (FAILURE_THRESHOLD - 1) * INTERVAL_MS + PROBE_MS),
    at(target, "down", "up", up, up + (SUCCESS_THRESHOLD - 1) * INTERVAL_MS + PROBE_MS),
  ];
}

function at(target: Target, from: TargetState, to: TargetState, when: number, due: number): Due {
  return {
    due,
    transition: {
      targetId: target.id,
      from,
      to,
      at: when,
      detectedAt: due,
      previousProbeAt: when - INTERVAL_MS,
      reason: to === "down" ? "refused" : null,
      detail: to === "down" ? "connect ECONNREFUSED" : null,
      service: target.service,
      site: target.site,
      blockedBy: null,
      maintenance: false,
    },
  };
}

/** Every target's first transition of a vantage's run (unknown → up at its first probe). */
export function firstSeen(targets: readonly Target[], phase: readonly number[], t: number): Due[] {
  return targets.map((target, i) => {
    const first = t - INTERVAL_MS + (phase[i] as number);
    return at(target, "unknown", "up", first, first + PROBE_MS);
  });
}
