import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Change,
  countVotes,
  disagrees,
  type MinDown,
  needed,
  quorumState,
  quorumTimeline,
  type Standing,
  type VantageTimelines,
  type Vote,
} from "../../src/health/quorum.js";
import type { TargetState } from "../../src/health/types.js";

const T0 = Date.UTC(2024, 5, 20);
const at = (seconds: number): number => T0 + seconds * 1000;
const two: MinDown = { count: 2 };
const half: MinDown = { percent: 50 };

describe("needed", () => {
  it.each([
    [{ count: 2 }, 3, 2],
    [{ count: 2 }, 1, 2],
    [{ percent: 50 }, 3, 2],
    [{ percent: 50 }, 4, 2],
    [{ percent: 50 }, 1, 1],
    [{ percent: 50 }, 0, 1],
    [{ percent: 100 }, 3, 3],
    [{ percent: 34 }, 3, 2],
    [{ percent: 33.3 }, 3, 1],
  ] as const)("%j of %i running vantages needs %i", (minDown, members, need) => {
    expect(needed(minDown, members)).toBe(need);
  });
});

describe("quorumState", () => {
  const cases: [Vote[], MinDown, TargetState, boolean][] = [
    [["down", "down", "down"], two, "down", false],
    [["down", "down", "up"], two, "down", false],
    [["down", "up", "up"], two, "up", true],
    [["up", "up", "up"], two, "up", false],
    [["degraded", "down", "up"], two, "degraded", true],
    [["degraded", "degraded", "up"], two, "degraded", false],
    [["degraded", "up", "up"], two, "up", false],
    // too few voters: never up
    [["up", "dead", "dead"], two, "unknown", false],
    [["up", "blind", "unknown"], two, "unknown", false],
    [["down", "blind", "dead"], two, "unknown", true],
    // blind and dead vantages do not vote; the rest still decide
    [["down", "down", "blind"], two, "down", false],
    [["down", "up", "dead"], two, "up", true],
    // a percentage is of the running vantages: three running, half is two
    [["down", "up", "blind"], half, "up", true],
    [["down", "down", "blind"], half, "down", false],
    // two dead: half of the one running is one
    [["down", "dead", "dead"], half, "down", false],
  ];
  it.each(cases)("%j with %j is %s (disagreement %s)", (votes, minDown, state, disagreement) => {
    const counts = countVotes(votes);
    expect(quorumState(counts, minDown)).toBe(state);
    expect(disagrees(counts, minDown)).toBe(disagreement);
  });
});

type Cause = string;

function vantage(
  name: string,
  changes: [seconds: number, state: TargetState][],
  standing: [seconds: number, standing: Standing][] = [],
  initial: TargetState = "up",
): VantageTimelines<Cause> {
  const state: Change<TargetState, Cause>[] = changes.map(([s, value]) => ({
    at: at(s),
    value,
    cause: `${name}→${value}@${s}`,
  }));
  return {
    vantage: name,
    state: { initial, changes: state },
    standing: {
      initial: "voting",
      changes: standing.map(([s, value]) => ({ at: at(s), value, cause: null })),
    },
  };
}

const steps = (vantages: VantageTimelines<Cause>[], minDown = two, from = at(-100)) =>
  quorumTimeline(vantages, minDown, from).map((s) => [
    (s.at - T0) / 1000,
    s.state,
    s.cause?.cause ?? null,
  ]);

describe("quorumTimeline", () => {
  it("starts a quorum outage at the second vantage's first failed probe, ends it at the second recovery", () => {
    const timeline = steps([
      vantage("jakarta-1", [
        [10, "down"],
        [100, "up"],
      ]),
      vantage("batam-dr", [
        [12, "down"],
        [103, "up"],
      ]),
      vantage("aws-sg", [
        [11, "down"],
        [101, "up"],
      ]),
    ]);
    expect(timeline).toEqual([
      [-100, "up", null],
      [11, "down", "aws-sg→down@11"],
      [101, "up", "aws-sg→up@101"],
    ]);
  });

  it("never opens an outage for one vantage alone: a path problem", () => {
    const timeline = steps([
      vantage("jakarta-1", [
        [10, "down"],
        [100, "up"],
      ]),
      vantage("batam-dr", []),
      vantage("aws-sg", []),
    ]);
    expect(timeline).toEqual([[-100, "up", null]]);
  });

  it("fails everywhere in one instant: one step, whatever order the vantages are listed in", () => {
    const timeline = steps([
      vantage("a", [[5, "down"]]),
      vantage("b", [[5, "down"]]),
      vantage("c", [[5, "down"]]),
    ]);
    expect(timeline).toEqual([
      [-100, "up", null],
      [5, "down", "b→down@5"],
    ]);
  });

  it("a dead vantage stops voting at its last heartbeat: no false outage from its stale down", () => {
    const timeline = steps([
      vantage("a", [[10, "down"]], [[20, "dead"]]),
      vantage("b", [[30, "down"]]),
      vantage("c", []),
    ]);
    expect(timeline).toEqual([[-100, "up", null]]);
  });

  it("too few voters is unknown, and back to a verdict when a vantage returns", () => {
    const timeline = steps([
      vantage("a", [], [[20, "dead"]]),
      vantage(
        "b",
        [],
        [
          [30, "blind"],
          [40, "voting"],
        ],
      ),
      vantage("c", []),
    ]);
    expect(timeline).toEqual([
      [-100, "up", null],
      [30, "unknown", null],
      [40, "up", null],
    ]);
  });

  it("degraded when enough see it degraded or down, down when enough see it down", () => {
    const timeline = steps([
      vantage("a", [
        [10, "degraded"],
        [20, "down"],
      ]),
      vantage("b", [[15, "down"]]),
      vantage("c", []),
    ]);
    expect(timeline).toEqual([
      [-100, "up", null],
      [15, "degraded", "b→down@15"],
      [20, "down", "a→down@20"],
    ]);
  });

  it("records who voted what, and since when", () => {
    const [, down] = quorumTimeline(
      [
        vantage("a", [[10, "down"]]),
        vantage("b", [[12, "down"]]),
        vantage("c", [], [[5, "blind"]]),
      ],
      two,
      at(0),
    );
    expect(down?.votes).toEqual([
      { vantage: "a", vote: "down", since: at(10) },
      { vantage: "b", vote: "down", since: at(12) },
      { vantage: "c", vote: "blind", since: at(5) },
    ]);
    expect(down?.counts).toEqual({ members: 3, voters: 2, down: 2, impaired: 2 });
  });

  it("the state at `from` includes the changes before it", () => {
    const timeline = steps(
      [vantage("a", [[10, "down"]]), vantage("b", [[12, "down"]]), vantage("c", [[50, "down"]])],
      two,
      at(30),
    );
    expect(timeline).toEqual([[30, "down", null]]);
  });

  it("property: the quorum is down exactly while at least min_down voters are down", () => {
    const change = fc.tuple(
      fc.integer({ min: 0, max: 60 }),
      fc.constantFrom<TargetState>("up", "degraded", "down"),
    );
    const standingChange = fc.tuple(
      fc.integer({ min: 0, max: 60 }),
      fc.constantFrom<Standing>("voting", "blind", "dead"),
    );
    const vantageArb = fc.record({
      changes: fc.array(change, { maxLength: 6 }),
      standing: fc.array(standingChange, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(vantageArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 3 }),
        (specs, count) => {
          const vantages = specs.map((spec, i) =>
            vantage(
              `v${i}`,
              [...spec.changes].sort((a, b) => a[0] - b[0]),
              [...spec.standing].sort((a, b) => a[0] - b[0]),
            ),
          );
          const minDown = { count };
          const timeline = quorumTimeline(vantages, minDown, at(-1));
          // brute force: the state at every second from the vantages' states then
          const stateAt = (s: number): TargetState => {
            const votes = vantages.map((v) => {
              const last = <T>(initial: T, changes: readonly Change<T, Cause>[]) =>
                changes.filter((c) => c.at <= at(s)).at(-1)?.value ?? initial;
              const standing = last(v.standing.initial, v.standing.changes);
              return standing === "voting" ? last(v.state.initial, v.state.changes) : standing;
            });
            return quorumState(countVotes(votes), minDown);
          };
          for (let s = -1; s <= 61; s++) {
            const step = timeline.filter((t) => t.at <= at(s)).at(-1);
            expect(step?.state).toBe(stateAt(s));
          }
          // and each step is a change
          for (let i = 1; i < timeline.length; i++)
            expect(timeline[i]?.state).not.toBe(timeline[i - 1]?.state);
        },
      ),
      { numRuns: 300 },
    );
  });
});
