import { describe, expect, it } from "vitest";
import {
  firstDeadlineAfter,
  missedDeadlines,
  type PushTiming,
  pushDeadline,
} from "../../src/health/push-deadline.js";
import { decide, initialHealth } from "../../src/health/state-machine.js";
import type { Observation, Thresholds, Transition } from "../../src/health/types.js";

/** 20 June 2024 00:00 UTC; times in the tables are seconds after it. */
const T0 = Date.UTC(2024, 5, 20);
const s = (seconds: number): number => T0 + seconds * 1000;
/** expect_every 1m, grace 30s: the docs' example. */
const MINUTE: PushTiming = { expectEvery: 60_000, grace: 30_000 };

describe("the k-th deadline after a push: base + k × expect_every + grace", () => {
  it.each([
    [1, 90],
    [2, 150],
    [3, 210],
    [10, 630],
  ])("k = %i → %is after the push", (k, seconds) => {
    expect(pushDeadline(s(0), MINUTE, k)).toBe(s(seconds));
  });
});

describe("missed deadlines at a time", () => {
  // [what, from, now (s), limit, missed (s), next]
  const rows: [string, number, number, number, number[], number][] = [
    ["none yet, just after the push", 1, 1, 3, [], 1],
    ["none a millisecond before the first deadline", 1, 89.999, 3, [], 1],
    ["the first, at the deadline itself (a push must come before it)", 1, 90, 3, [90], 2],
    ["the first, between the first and the second", 1, 149.999, 3, [90], 2],
    ["two, at the second", 1, 150, 3, [90, 150], 3],
    ["only those from `from` on (the first was observed already)", 2, 150, 3, [150], 3],
    ["none when the next is still ahead", 3, 150, 3, [], 3],
    ["a long gap: the first `limit` of 59, then the last", 1, 3600, 3, [90, 150, 210, 3570], 60],
    ["a long gap with limit 1", 1, 3600, 1, [90, 3570], 60],
    ["a gap of limit + 1: each of them", 1, 270, 3, [90, 150, 210, 270], 5],
    ["a gap of exactly limit", 1, 210, 3, [90, 150, 210], 4],
    ["a long gap from a later index", 5, 3600, 2, [330, 390, 3570], 60],
  ];
  it.each(rows)("%s", (_what, from, now, limit, missed, next) => {
    expect(missedDeadlines(s(0), MINUTE, from, s(now), limit)).toEqual({
      missed: missed.map(s),
      next,
    });
  });

  it("a clock before the push has passed none", () => {
    expect(missedDeadlines(s(100), MINUTE, 1, s(0), 3)).toEqual({ missed: [], next: 1 });
  });
});

describe("the first deadline after a time (a reload's new timing applies after it)", () => {
  it.each([
    ["before the first deadline", 10, MINUTE, 1],
    ["at the first deadline: it has passed, the next is the second", 90, MINUTE, 2],
    ["after three deadlines", 215, MINUTE, 4],
    [
      "with a shorter timing, deadlines that passed under it are skipped",
      300,
      { expectEvery: 10_000, grace: 0 },
      31,
    ],
  ] as const)("%s", (_what, after, timing, k) => {
    expect(firstDeadlineAfter(s(0), timing, s(after))).toBe(k);
    expect(pushDeadline(s(0), timing, k)).toBeGreaterThan(s(after));
  });
});

/**
 * The whole rule on the state machine: pushes and the deadlines missed between them, as
 * observations in time order, exactly as the engine's push watch feeds them.
 */
function observe(
  pushes: { at: number; status: "ok" | "fail" }[],
  until: number,
  thresholds: Thresholds,
): Transition[] {
  const observations: Observation[] = [];
  let base = s(0);
  let next = 1;
  const missedUpTo = (now: number) => {
    const { missed, next: after } = missedDeadlines(
      base,
      MINUTE,
      next,
      now,
      thresholds.failureThreshold,
    );
    next = after;
    for (const at of missed) {
      observations.push({
        result: "failed",
        startedAt: at,
        reason: "push_missed",
        detail: "missed",
      });
    }
  };
  for (const push of pushes) {
    missedUpTo(push.at);
    const failed = push.status === "fail";
    const reason = failed ? "push_failed" : null;
    observations.push({
      result: failed ? "failed" : "ok",
      startedAt: push.at,
      reason,
      detail: "push",
    });
    base = push.at;
    next = 1;
  }
  missedUpTo(until);
  let health = initialHealth();
  const transitions: Transition[] = [];
  for (const observation of observations) {
    const decision = decide(health, observation, thresholds, observation.startedAt, "job");
    health = decision.health;
    if (decision.transition) transitions.push(decision.transition);
  }
  return transitions;
}

const thresholds = (failureThreshold: number, successThreshold = 1): Thresholds => ({
  failureThreshold,
  successThreshold,
  degradedThreshold: 1,
});

describe("the rule, on the state machine (expect_every 1m, grace 30s)", () => {
  // [what, pushes (s, status), until (s), failure_threshold, transitions: to, at, previous (s), decided (s)]
  const rows: [
    string,
    [number, "ok" | "fail"][],
    number,
    number,
    [string, number, number | null, number][],
  ][] = [
    [
      "pushes every minute: up, never down",
      [
        [0, "ok"],
        [60, "ok"],
        [120, "ok"],
      ],
      200,
      1,
      [["up", 0, null, 0]],
    ],
    [
      "a push 29 s late is in time",
      [
        [0, "ok"],
        [89, "ok"],
      ],
      170,
      1,
      [["up", 0, null, 0]],
    ],
    [
      "threshold 1: down at the first missed deadline, last_ok_at the last push",
      [
        [0, "ok"],
        [60, "ok"],
      ],
      150,
      1,
      [
        ["up", 0, null, 0],
        ["down", 150, 60, 150],
      ],
    ],
    [
      "threshold 3: decided at the third deadline, the outage starting at the first",
      [
        [0, "ok"],
        [60, "ok"],
      ],
      270,
      3,
      [
        ["up", 0, null, 0],
        ["down", 150, 60, 270],
      ],
    ],
    [
      "threshold 3: two missed deadlines and a push — no outage",
      [
        [0, "ok"],
        [200, "ok"],
      ],
      250,
      3,
      [["up", 0, null, 0]],
    ],
    [
      "a push at the deadline is late: it is missed first, then the push counts",
      [
        [0, "ok"],
        [90, "ok"],
      ],
      100,
      1,
      [
        ["up", 0, null, 0],
        ["down", 90, 0, 90],
        ["up", 90, 90, 90],
      ],
    ],
    [
      "a status=fail push starts the outage; the deadlines after it continue it",
      [
        [0, "ok"],
        [30, "fail"],
      ],
      300,
      2,
      [
        ["up", 0, null, 0],
        ["down", 30, 0, 120],
      ],
    ],
    [
      "recovery at the first good push after the outage",
      [
        [0, "ok"],
        [400, "ok"],
      ],
      410,
      1,
      [
        ["up", 0, null, 0],
        ["down", 90, 0, 90],
        ["up", 400, 390, 400],
      ],
    ],
    [
      "never pushed: deadlines from when the watch began (here 0)",
      [],
      270,
      3,
      [["down", 90, null, 210]],
    ],
  ];
  it.each(rows)("%s", (_what, pushes, until, failureThreshold, expected) => {
    const transitions = observe(
      pushes.map(([at, status]) => ({ at: s(at), status })),
      s(until),
      thresholds(failureThreshold),
    );
    expect(
      transitions.map((t) => [
        t.to,
        (t.at - T0) / 1000,
        t.previousProbeAt === null ? null : (t.previousProbeAt - T0) / 1000,
        (t.detectedAt - T0) / 1000,
      ]),
    ).toEqual(expected);
  });
});
