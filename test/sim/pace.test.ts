import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type PaceOptions, pacePlan, playTimeMs } from "../../src/sim/pace.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DEMO: PaceOptions = { speed: 3600, quietFactor: 3, leadMs: HOUR, followMs: HOUR };

describe("pacePlan", () => {
  it.each([
    {
      name: "no quiet stretch: one speed, the average",
      steps: [0, 30 * MINUTE],
      end: HOUR,
      options: DEMO,
      plan: [{ atMs: 0, speed: 3600 }],
    },
    {
      name: "two eventful hours around two steps, eight quiet ones between them",
      steps: [0, 10 * HOUR],
      end: 10 * HOUR,
      options: DEMO,
      // busy b: 2h / b + 8h / 3b = 10 s  →  b = 1680, quiet 5040
      plan: [
        { atMs: 0, speed: 1680 },
        { atMs: HOUR, speed: 5040 },
        { atMs: 9 * HOUR, speed: 1680 },
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
      plan: [{ atMs: 0, speed: 3600 }],
    },
    {
      name: "a scenario of one instant plays at the speed",
      steps: [0],
      end: 0,
      options: DEMO,
      plan: [{ atMs: 0, speed: 3600 }],
    },
  ])("$name", ({ steps, end, options, plan }) => {
    expect(pacePlan(steps, end, options)).toEqual(plan);
  });

  it.each([
    [{ ...DEMO, speed: 0 }, "pace: speed must be > 0 and quietFactor ≥ 1 (0, 3)"],
    [{ ...DEMO, quietFactor: 0.5 }, "pace: speed must be > 0 and quietFactor ≥ 1 (3600, 0.5)"],
  ])("refuses %o", (options, message) => {
    expect(() => pacePlan([0], HOUR, options)).toThrow(new RangeError(message));
  });

  it("plays any scenario in the time its average speed gives, quiet stretches faster", () => {
    const scenario = fc.record({
      steps: fc.array(fc.integer({ min: 0, max: 100 * HOUR }), { minLength: 1, maxLength: 30 }),
      speed: fc.integer({ min: 1, max: 100_000 }),
      quietFactor: fc.integer({ min: 1, max: 10 }),
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
        const speeds = new Set(plan.map((c) => c.speed));
        expect(speeds.size).toBeLessThanOrEqual(2);
        if (speeds.size === 2) {
          const [a = 0, b = 0] = [...speeds];
          expect(Math.max(a, b) / Math.min(a, b)).toBeCloseTo(options.quietFactor, 9);
        }
        // every step is inside an eventful stretch: played at the slower speed
        const slow = Math.min(...speeds);
        for (const at of steps.filter((t) => t < end && options.followMs > 0)) {
          const inForce = plan.filter((c) => c.atMs <= at).at(-1);
          expect(inForce?.speed).toBe(slow);
        }
      }),
    );
  });
});
