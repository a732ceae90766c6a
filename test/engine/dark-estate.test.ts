import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  darkEstate,
  failsAt,
  pagedTargets,
  SIM_T0,
  type SimOutcome,
  type SimTarget,
  simulate,
} from "../support/attribution-sim.js";

/**
 * A data centre going dark, in the incident's real shape: the core and its dependants fail in
 * the same instant and their probes land in any order. Driven through the real engine, ledger
 * and Alertmanager notifier (its posts captured), on an injected clock.
 */

const INTERVAL = 2000;
const THRESHOLD = 2;
const TIMEOUT = 1000;
/** The documented hold: the core's failure_threshold × interval + timeout, plus 1 s. */
const HOLD_BOUND = THRESHOLD * INTERVAL + TIMEOUT + 1000;
const TRIALS = 50;

function trial(seed: number, withCore: boolean): SimTarget[] {
  return darkEstate({
    seed,
    dependants: 30,
    intervalMs: INTERVAL,
    failureThreshold: THRESHOLD,
    timeoutMs: TIMEOUT,
    // anywhere in an interval, so the core's phase falls before or after each dependant's
    failAtMs: 6_000 + ((seed * 7919) % INTERVAL),
    withCore,
  });
}

/** Past every verdict and every hold's bound. */
const HORIZON = 6_000 + INTERVAL + THRESHOLD * INTERVAL + TIMEOUT + HOLD_BOUND;

function firstFailedProbe(outcome: SimOutcome, targetId: string): number {
  const probe = outcome.probes
    .filter((p) => p.targetId === targetId && p.failed)
    .sort((a, b) => a.startedAt - b.startedAt)[0];
  if (probe === undefined) throw new Error(`${targetId} never failed`);
  return probe.startedAt;
}

describe("a data centre going dark: a core and 30 dependants fail in the same instant", () => {
  it(`pages once, for the core, and blocks every dependant by it (${TRIALS} seeded trials)`, async () => {
    for (let seed = 1; seed <= TRIALS; seed++) {
      const outcome = await simulate(trial(seed, true), HORIZON);
      expect(pagedTargets(outcome), `seed ${seed}`).toEqual(["simkim-core"]);
      const corePage = outcome.posts.find((p) => p.severity === "critical");
      expect(corePage?.startsAt, `seed ${seed}`).toBe(firstFailedProbe(outcome, "simkim-core"));
      for (const [id, final] of outcome.final) {
        if (id === "simkim-core") continue;
        expect(final, `seed ${seed}: ${id}`).toEqual({
          state: "down",
          blockedBy: "simkim-core",
          waitingOn: [],
        });
      }
    }
  });

  it(`pages each dependant failing alone, no later than its detection or the hold's bound (${TRIALS} trials)`, async () => {
    let held = 0;
    for (let seed = 1; seed <= TRIALS; seed++) {
      const outcome = await simulate(trial(seed, false), HORIZON);
      const dependants = [...outcome.final.keys()].filter((id) => id !== "simkim-core");
      expect(pagedTargets(outcome), `seed ${seed}`).toEqual(dependants);
      for (const id of dependants) {
        const at = firstFailedProbe(outcome, id);
        const down = outcome.transitions.find((t) => t.targetId === id && t.to === "down");
        const page = outcome.posts.find((p) => p.targetId === id && p.severity === "critical");
        expect(outcome.final.get(id)?.blockedBy, `seed ${seed}: ${id}`).toBeNull();
        expect(page?.startsAt, `seed ${seed}: ${id}`).toBe(at);
        const latest = Math.max(down?.detectedAt ?? 0, at + HOLD_BOUND);
        expect(page?.postedAt, `seed ${seed}: ${id}`).toBeLessThanOrEqual(latest);
        if ((page?.postedAt ?? 0) > (down?.detectedAt ?? 0)) held++;
      }
    }
    // with equal intervals the core is almost always seen healthy before a dependant's
    // threshold is reached: holds are the exception, and short
    expect(held).toBeLessThan(TRIALS * 30);
  });

  it("comes back together: the dependants' outages end blocked, nobody is paged but the core", async () => {
    const targets = trial(7, true).map((t) => ({ ...t, recoverMs: 20_000 }));
    const outcome = await simulate(targets, 40_000);
    expect(pagedTargets(outcome)).toEqual(["simkim-core"]);
    for (const [id, final] of outcome.final) expect(final.state, id).toBe("up");
  });

  it("comes back in stages: a dependant still failing after the core returns pages on its own", async () => {
    const targets = trial(7, true).map((t) =>
      t.id === "dependant-03" ? { ...t, recoverMs: 60_000 } : { ...t, recoverMs: 20_000 },
    );
    const outcome = await simulate(targets, 70_000);
    expect(pagedTargets(outcome)).toEqual(["dependant-03", "simkim-core"]);
    // its alert starts with its outage, as blocked_by changed to its own
    const page = outcome.posts.find(
      (p) => p.targetId === "dependant-03" && p.severity === "critical",
    );
    expect(page?.startsAt).toBe(firstFailedProbe(outcome, "dependant-03"));
  });
});

describe("attribution and pages against a brute force, over random phases, intervals and thresholds", () => {
  /** Start of the last non-failed probe before the target began to fail, null if none. */
  function lastOkBeforeFailure(target: SimTarget): number | null {
    if (target.failFromMs === null) return null;
    let last: number | null = null;
    for (let start = target.phaseMs; start < target.failFromMs; start += target.intervalMs) {
      if (!failsAt(target, start)) last = SIM_T0 + start;
    }
    return last;
  }

  function firstFailedStart(target: SimTarget): number | null {
    if (target.failFromMs === null) return null;
    let start = target.phaseMs;
    while (start < target.failFromMs) start += target.intervalMs;
    return SIM_T0 + start;
  }

  const estate = fc
    .record({
      roots: fc.integer({ min: 1, max: 2 }),
      dependants: fc.integer({ min: 1, max: 5 }),
      seed: fc.integer({ min: 1, max: 1_000_000 }),
    })
    .chain(({ roots, dependants, seed }) => {
      const target = (prefix: string) =>
        fc.record({
          intervalSteps: fc.integer({ min: 4, max: 24 }),
          phase: fc.double({ min: 0, max: 0.999, noNaN: true }),
          failureThreshold: fc.integer({ min: 1, max: 4 }),
          timeoutShare: fc.double({ min: 0.1, max: 0.9, noNaN: true }),
          failFromMs: fc.option(fc.integer({ min: 5_000, max: 40_000 }), { nil: null }),
          hangs: fc.boolean(),
          prefix: fc.constant(prefix),
        });
      return fc.record({
        seed: fc.constant(seed),
        roots: fc.array(target("root"), { minLength: roots, maxLength: roots }),
        dependants: fc.array(
          fc.record({
            spec: target("dependant"),
            upstreams: fc.subarray([0, 1], { minLength: 1 }),
          }),
          { minLength: dependants, maxLength: dependants },
        ),
      });
    });

  function toTarget(
    spec: {
      intervalSteps: number;
      phase: number;
      failureThreshold: number;
      timeoutShare: number;
      failFromMs: number | null;
      hangs: boolean;
    },
    id: string,
    dependsOn: string[],
  ): SimTarget {
    const intervalMs = spec.intervalSteps * 250;
    const timeoutMs = Math.max(50, Math.floor(intervalMs * spec.timeoutShare));
    return {
      id,
      dependsOn,
      intervalMs,
      phaseMs: Math.floor(spec.phase * intervalMs),
      failureThreshold: spec.failureThreshold,
      successThreshold: 2,
      timeoutMs,
      failFromMs: spec.failFromMs,
      durationMs: (index, failed) => (failed ? (spec.hangs ? timeoutMs : 3) : 1 + (index % 9)),
    };
  }

  it("blocks exactly the dependants whose upstream was not seen healthy after their first failed probe, and pages the others once", async () => {
    await fc.assert(
      fc.asyncProperty(estate, async ({ roots, dependants }) => {
        const rootTargets = roots.map((spec, i) => toTarget(spec, `root-${i}`, []));
        const dependantTargets = dependants.map(({ spec, upstreams }, i) =>
          toTarget(
            spec,
            `dependant-${i}`,
            upstreams.filter((u) => u < rootTargets.length).map((u) => `root-${u}`),
          ),
        );
        const targets = [...rootTargets, ...dependantTargets.filter((t) => t.dependsOn.length > 0)];
        // past every first failure, every threshold and every hold
        const horizon = 40_000 + 2 * (6_000 * 4 + 6_000) + 2_000;
        const outcome = await simulate(targets, horizon);
        const byId = new Map(targets.map((t) => [t.id, t]));
        for (const root of rootTargets) {
          const down = root.failFromMs !== null;
          expect(outcome.final.get(root.id)?.state).toBe(down ? "down" : "up");
          expect(pagedTargets(outcome).includes(root.id)).toBe(down);
        }
        for (const dependant of targets.filter((t) => t.dependsOn.length > 0)) {
          const at = firstFailedStart(dependant);
          const final = outcome.final.get(dependant.id);
          if (at === null) {
            expect(final?.state).toBe("up");
            continue;
          }
          // brute force: every root down at the end that was not seen healthy at or after `at`
          const causes = dependant.dependsOn
            .map((id) => byId.get(id) as SimTarget)
            .filter((root) => root.failFromMs !== null)
            .filter((root) => {
              const lastOk = lastOkBeforeFailure(root);
              return lastOk === null || lastOk < at;
            })
            .sort(
              (a, b) =>
                (firstFailedStart(a) ?? 0) - (firstFailedStart(b) ?? 0) || (a.id < b.id ? -1 : 1),
            );
          const expected = causes[0]?.id ?? null;
          expect(final).toEqual({ state: "down", blockedBy: expected, waitingOn: [] });
          const pages = outcome.posts.filter(
            (p) => p.targetId === dependant.id && p.severity === "critical",
          );
          if (expected !== null) {
            // failed with its upstream: never paged, never left unattributed
            expect(pages).toEqual([]);
          } else {
            // failed while its upstream answered: paged from its true start, never attributed
            expect(pages.length).toBeGreaterThan(0);
            expect(new Set(pages.map((p) => p.startsAt))).toEqual(new Set([at]));
            expect(outcome.posts.some((p) => p.targetId === dependant.id && p.blockedBy)).toBe(
              false,
            );
          }
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
