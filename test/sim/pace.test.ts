import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type PaceOptions, pacePlan, playTimeMs } from "../../src/sim/pace.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** No cap on quiet stretches unless a case sets one. */
const DEMO: PaceOptions = {
  speed: 3600,
  quietFactor: 3,
  maxQuietMs: Number.MAX_VALUE,
  leadMs: HOUR,
  followMs: HOUR,
};

describe("pacePlan", () => {
  it.each([
    {
      name: "no quiet stretch: one speed, the average",
      steps: [0, 30 * MINUTE],
      end: HOUR,
      options: DEMO,
      plan: [{ atMs: 0, speed: expect.closeTo(3600, 6) }],
    },
    {
      name: "two eventful hours around two steps, eight quiet ones between them",
      steps: [0, 10 * HOUR],
      end: 10 * HOUR,
      options: DEMO,
      // busy b: 2h / b + 8h / 3b = 10 s  →  b = 1680, quiet 5040
      plan: [
        { atMs: 0, speed: expect.closeTo(1680, 6) },
        { atMs: HOUR, speed: expect.closeTo(5040, 6) },
        { atMs: 9 * HOUR, speed: expect.closeTo(1680, 6) },
      ],
    },
    {
      name: "a long quiet stretch plays in maxQuietMs, a short one at quietFactor",
      steps: [0, 2 * HOUR, 40 * HOUR],
      end: 40 * HOUR,
      options: { ...DEMO, maxQuietMs: 2000 },
      // eventful 4h: 4h / b + 2000 ms (38h − 2h... [3h, 39h) capped) + 0 = 40 s; no short one
      plan: [
        { atMs: 0, speed: expect.closeTo((4 * HOUR) / 38_000, 6) },
        { atMs: 3 * HOUR, speed: expect.closeTo((36 * HOUR) / 2000, 6) },
        { atMs: 39 * HOUR, speed: expect.closeTo((4 * HOUR) / 38_000, 6) },
      ],
    },
    {
      name: "windows that overlap merge; the lead opens a stretch before its step",
      steps: [2 * HOUR, 2 * HOUR + 30 * MINUTE, 6 * HOUR],
      end: 6 * HOUR,
      options: { ...DEMO, leadMs: 30 * MINUTE },
      // eventful [1h30, 3h30) and [5h30, 6h): 2.5 h; quiet 3.5 h
      plan: [
        { atMs: 0, speed: expect.closeTo(((3600 * (2.5 + 3.5 / 3)) / 6) * 3, 6) },
        { atMs: 90 * MINUTE, speed: expect.closeTo((3600 * (2.5 + 3.5 / 3)) / 6, 6) },
        { atMs: 210 * MINUTE, speed: expect.closeTo(((3600 * (2.5 + 3.5 / 3)) / 6) * 3, 6) },
        { atMs: 330 * MINUTE, speed: expect.closeTo((3600 * (2.5 + 3.5 / 3)) / 6, 6) },
      ],
    },
    {
      name: "quietFactor 1: one speed throughout",
      steps: [0, 10 * HOUR],
      end: 10 * HOUR,
      options: { ...DEMO, quietFactor: 1 },
      plan: [{ atMs: 0, speed: expect.closeTo(3600, 6) }],
    },
    {
      name: "a scenario of one instant plays at the speed",
      steps: [0],
      end: 0,
      options: DEMO,
      plan: [{ atMs: 0, speed: 3600 }],
    },
    {
      // capped quiet stretches alone would play 2 ms of scenario in 1 ms, not the 2 ms it lasts
      name: "no lead and no follow: nothing is eventful, all plays at the speed",
      steps: [2],
      end: 2,
      options: { speed: 1, quietFactor: 1, maxQuietMs: 1, leadMs: 0, followMs: 0 },
      plan: [{ atMs: 0, speed: 1 }],
    },
  ])("$name", ({ steps, end, options, plan }) => {
    expect(pacePlan(steps, end, options)).toEqual(plan);
  });

  it.each([
    [{ ...DEMO, speed: 0 }, "(0, 1.7976931348623157e+308, 3)"],
    [{ ...DEMO, quietFactor: 0.5 }, "(3600, 1.7976931348623157e+308, 0.5)"],
    [{ ...DEMO, maxQuietMs: 0 }, "(3600, 0, 3)"],
  ])("refuses %o", (options, values) => {
    const message = `pace: speed and maxQuietMs must be > 0 and quietFactor ≥ 1 ${values}`;
    expect(() => pacePlan([0], HOUR, options)).toThrow(new RangeError(message));
  });

  it("plays any scenario in the time its average speed gives, quiet stretches faster", () => {
    const scenario = fc.record({
      steps: fc.array(fc.integer({ min: 0, max: 100 * HOUR }), { minLength: 1, maxLength: 30 }),
      speed: fc.integer({ min: 1, max: 100_000 }),
      quietFactor: fc.integer({ min: 1, max: 10 }),
      maxQuietMs: fc.integer({ min: 1, max: 100_000 }),
      leadMs: fc.integer({ min: 0, max: 2 * HOUR }),
      followMs: fc.integer({ min: 0, max: 4 * HOUR }),
    });
    fc.assert(
      fc.property(scenario, ({ steps, ...options }) => {
        const end = Math.max(...steps);
        fc.pre(end > 0);
        const plan = pacePlan(steps, end, options);
        expect(playTimeMs(plan, end)).toBeCloseTo(end / options.speed, 6);
        expect(plan[0]?.atMs).toBe(0);
        // every step is inside an eventful stretch: played at the slowest speed
        const slow = Math.min(...plan.map((c) => c.speed));
        for (const at of steps.filter((t) => t < end && options.followMs > 0)) {
          const inForce = plan.filter((c) => c.atMs <= at).at(-1);
          expect(inForce?.speed).toBe(slow);
        }
        // a quiet stretch: at least quietFactor × faster, and over in maxQuietMs at most
        plan.forEach((change, i) => {
          if (change.speed === slow) return;
          const until = plan[i + 1]?.atMs ?? end;
          expect(change.speed / slow).toBeGreaterThanOrEqual(options.quietFactor * (1 - 1e-9));
          expect((until - change.atMs) / change.speed).toBeLessThanOrEqual(
            options.maxQuietMs * (1 + 1e-9),
          );
        });
      }),
    );
  });
});
