import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decide,
  type HealthState,
  initialHealth,
  lastFailedAt,
  lastOkAt,
  restoreHealth,
} from "../../src/health/state-machine.js";
import type { Observation, TargetState, Thresholds, Transition } from "../../src/health/types.js";

/** 20 June 2024 00:00 UTC, the PDNS 2 incident day. */
const T0 = Date.UTC(2024, 5, 20);
/** Each probe is decided this long after it started: detectedAt = startedAt + PROBE_MS. */
const PROBE_MS = 250;
const TARGET = "simkim-core";
const REASON_BY_VERDICT = { F: "refused", D: "latency", O: null } as const;
const VERDICT_BY_LETTER = { F: "failed", D: "degraded", O: "ok" } as const;

const at = (seconds: number): number => T0 + seconds * 1000;

/**
 * "O0 F30 D60": verdict letter (O ok, D degraded, F failed) and start in seconds after T0.
 * Each probe's detail is its own token, so a transition's detail names the probe it came from.
 */
function parseProbes(sequence: string): Observation[] {
  return sequence.split(/\s+/).map((token) => {
    const match = /^([ODF])(-?\d+)$/.exec(token);
    if (match === null) throw new Error(`bad probe token ${token}`);
    const letter = match[1] as keyof typeof VERDICT_BY_LETTER;
    return {
      result: VERDICT_BY_LETTER[letter],
      startedAt: at(Number(match[2])),
      reason: REASON_BY_VERDICT[letter],
      detail: token,
    };
  });
}

function run(
  start: HealthState,
  sequence: string,
  thresholds: Thresholds,
): { health: HealthState; transitions: Transition[] } {
  let health = start;
  const transitions: Transition[] = [];
  for (const observation of parseProbes(sequence)) {
    const decision = decide(
      health,
      observation,
      thresholds,
      observation.startedAt + PROBE_MS,
      TARGET,
    );
    health = decision.health;
    if (decision.transition !== null) transitions.push(decision.transition);
  }
  return { health, transitions };
}

interface ExpectedTransition {
  from: TargetState;
  to: TargetState;
  /** Seconds after T0. */
  at: number;
  /** Seconds after T0 of the deciding probe's start (PROBE_MS is added). */
  detected: number;
  reason: string | null;
  detail: string | null;
}

/**
 * The start of the probe listed before the one starting at `atMs`, null for the first: every
 * probe of a sequence is decided on, so that is the last probe before the transition's streak.
 */
function probeBefore(sequence: string, atMs: number): number | null {
  const starts = parseProbes(sequence).map((probe) => probe.startedAt);
  const index = starts.indexOf(atMs);
  return index > 0 ? (starts[index - 1] ?? null) : null;
}

function toTransition(expected: ExpectedTransition, sequence: string): Transition {
  return {
    targetId: TARGET,
    from: expected.from,
    to: expected.to,
    at: at(expected.at),
    detectedAt: at(expected.detected) + PROBE_MS,
    previousProbeAt: probeBefore(sequence, at(expected.at)),
    reason: expected.reason,
    detail: expected.detail,
  };
}

const DEFAULT: Thresholds = { failureThreshold: 3, successThreshold: 2, degradedThreshold: 3 };
const ONES: Thresholds = { failureThreshold: 1, successThreshold: 1, degradedThreshold: 1 };
const RESTART = at(-3600);

interface Case {
  name: string;
  thresholds?: Thresholds;
  start?: HealthState;
  probes: string;
  transitions: ExpectedTransition[];
  /** Final state and since (seconds after T0, or the raw epoch ms when given as `sinceMs`). */
  state: TargetState;
  since: number | null;
  sinceMs?: number;
}

const t = (
  from: TargetState,
  to: TargetState,
  atSeconds: number,
  detected: number,
  reason: string | null = null,
  detail: string | null = null,
): ExpectedTransition => ({ from, to, at: atSeconds, detected, reason, detail });

const CASES: Case[] = [
  // unknown
  {
    name: "unknown → up on the first ok probe",
    probes: "O0",
    transitions: [t("unknown", "up", 0, 0)],
    state: "up",
    since: 0,
  },
  {
    name: "unknown → degraded on the first degraded probe, with its reason",
    probes: "D0",
    transitions: [t("unknown", "degraded", 0, 0, "latency", "D0")],
    state: "degraded",
    since: 0,
  },
  {
    name: "unknown → down after 3 failures, at the first failure",
    probes: "F0 F30 F60",
    transitions: [t("unknown", "down", 0, 60, "refused", "F0")],
    state: "down",
    since: 0,
  },
  {
    name: "unknown stays unknown below the failure threshold",
    probes: "F0 F30",
    transitions: [],
    state: "unknown",
    since: null,
  },
  {
    name: "unknown: an ok probe after 2 failures → up at that probe",
    probes: "F0 F30 O60",
    transitions: [t("unknown", "up", 60, 60)],
    state: "up",
    since: 60,
  },
  {
    name: "unknown: a degraded probe after 2 failures → degraded at that probe",
    probes: "F0 F30 D60",
    transitions: [t("unknown", "degraded", 60, 60, "latency", "D60")],
    state: "degraded",
    since: 60,
  },
  // up → down
  {
    name: "up → down with threshold 3, at the first failure, detected at the third",
    probes: "O0 F30 F60 F90",
    transitions: [t("unknown", "up", 0, 0), t("up", "down", 30, 90, "refused", "F30")],
    state: "down",
    since: 30,
  },
  {
    name: "up: ok probes confirm the state, no transition",
    probes: "O0 O30 O60 O90",
    transitions: [t("unknown", "up", 0, 0)],
    state: "up",
    since: 0,
  },
  {
    name: "up: 2 failures are not an outage",
    probes: "O0 F30 F60 O90",
    transitions: [t("unknown", "up", 0, 0)],
    state: "up",
    since: 0,
  },
  {
    name: "up: a failure streak interrupted by one ok probe starts again, later at",
    probes: "O0 F30 F60 O90 F120 F150 F180",
    transitions: [t("unknown", "up", 0, 0), t("up", "down", 120, 180, "refused", "F120")],
    state: "down",
    since: 120,
  },
  {
    name: "up: a failure streak interrupted by one degraded probe starts again, later at",
    probes: "O0 F30 F60 D90 F120 F150 F180",
    transitions: [t("unknown", "up", 0, 0), t("up", "down", 120, 180, "refused", "F120")],
    state: "down",
    since: 120,
  },
  {
    name: "up: a degraded streak interrupted by a failure becomes a failure streak",
    probes: "O0 D30 D60 F90 F120 F150",
    transitions: [t("unknown", "up", 0, 0), t("up", "down", 90, 150, "refused", "F90")],
    state: "down",
    since: 90,
  },
  // up → degraded
  {
    name: "up → degraded after 3 degraded probes, with the first one's reason",
    probes: "O0 D30 D60 D90",
    transitions: [t("unknown", "up", 0, 0), t("up", "degraded", 30, 90, "latency", "D30")],
    state: "degraded",
    since: 30,
  },
  {
    name: "up: a degraded streak interrupted by one ok probe starts again, later at",
    probes: "O0 D30 D60 O90 D120 D150 D180",
    transitions: [t("unknown", "up", 0, 0), t("up", "degraded", 120, 180, "latency", "D120")],
    state: "degraded",
    since: 120,
  },
  {
    name: "up: a degraded streak interrupted by one failure starts again, later at",
    probes: "O0 D30 D60 F90 D120 D150 D180",
    transitions: [t("unknown", "up", 0, 0), t("up", "degraded", 120, 180, "latency", "D120")],
    state: "degraded",
    since: 120,
  },
  // degraded → up / down
  {
    name: "degraded → up after 2 ok probes, null reason",
    probes: "D0 O30 O60",
    transitions: [t("unknown", "degraded", 0, 0, "latency", "D0"), t("degraded", "up", 30, 60)],
    state: "up",
    since: 30,
  },
  {
    name: "degraded: an ok streak interrupted by a degraded probe starts again",
    probes: "D0 O30 D60 O90 O120",
    transitions: [t("unknown", "degraded", 0, 0, "latency", "D0"), t("degraded", "up", 90, 120)],
    state: "up",
    since: 90,
  },
  {
    name: "degraded: an ok streak interrupted by a failure starts again",
    probes: "D0 O30 F60 O90 O120",
    transitions: [t("unknown", "degraded", 0, 0, "latency", "D0"), t("degraded", "up", 90, 120)],
    state: "up",
    since: 90,
  },
  {
    name: "degraded → down after 3 failures",
    probes: "D0 F30 F60 F90",
    transitions: [
      t("unknown", "degraded", 0, 0, "latency", "D0"),
      t("degraded", "down", 30, 90, "refused", "F30"),
    ],
    state: "down",
    since: 30,
  },
  {
    name: "degraded: a failure streak interrupted by one degraded probe starts again",
    probes: "D0 F30 F60 D90 F120 F150 F180",
    transitions: [
      t("unknown", "degraded", 0, 0, "latency", "D0"),
      t("degraded", "down", 120, 180, "refused", "F120"),
    ],
    state: "down",
    since: 120,
  },
  {
    name: "up → degraded → down → up: a whole incident",
    probes: "O0 D30 D60 D90 F120 F150 F180 O210 O240",
    transitions: [
      t("unknown", "up", 0, 0),
      t("up", "degraded", 30, 90, "latency", "D30"),
      t("degraded", "down", 120, 180, "refused", "F120"),
      t("down", "up", 210, 240),
    ],
    state: "up",
    since: 210,
  },
  // down → up / degraded
  {
    name: "down → up after 2 ok probes, at the first",
    probes: "F0 F30 F60 O90 O120",
    transitions: [t("unknown", "down", 0, 60, "refused", "F0"), t("down", "up", 90, 120)],
    state: "up",
    since: 90,
  },
  {
    name: "down → degraded when the deciding probe is degraded, with its reason",
    probes: "F0 F30 F60 O90 D120",
    transitions: [
      t("unknown", "down", 0, 60, "refused", "F0"),
      t("down", "degraded", 90, 120, "latency", "D120"),
    ],
    state: "degraded",
    since: 90,
  },
  {
    name: "down → up when the deciding probe is ok, even after a degraded one",
    probes: "F0 F30 F60 D90 O120",
    transitions: [t("unknown", "down", 0, 60, "refused", "F0"), t("down", "up", 90, 120)],
    state: "up",
    since: 90,
  },
  {
    name: "down: a recovery interrupted by one failure starts again, later at",
    probes: "F0 F30 F60 O90 F120 O150 O180",
    transitions: [t("unknown", "down", 0, 60, "refused", "F0"), t("down", "up", 150, 180)],
    state: "up",
    since: 150,
  },
  {
    name: "down: failures keep it down without a new transition",
    probes: "F0 F30 F60 F90 F120",
    transitions: [t("unknown", "down", 0, 60, "refused", "F0")],
    state: "down",
    since: 0,
  },
  // thresholds of 1
  {
    name: "thresholds of 1: every change of verdict is a transition at once",
    thresholds: ONES,
    probes: "O0 D30 O60 F90 D120 F150 O180 O210",
    transitions: [
      t("unknown", "up", 0, 0),
      t("up", "degraded", 30, 30, "latency", "D30"),
      t("degraded", "up", 60, 60),
      t("up", "down", 90, 90, "refused", "F90"),
      t("down", "degraded", 120, 120, "latency", "D120"),
      t("degraded", "down", 150, 150, "refused", "F150"),
      t("down", "up", 180, 180),
    ],
    state: "up",
    since: 180,
  },
  {
    name: "thresholds of 1: unknown → down on the first failure",
    thresholds: ONES,
    probes: "F0",
    transitions: [t("unknown", "down", 0, 0, "refused", "F0")],
    state: "down",
    since: 0,
  },
  {
    name: "thresholds differ: failure 2, degraded 4, success 3",
    thresholds: { failureThreshold: 2, successThreshold: 3, degradedThreshold: 4 },
    probes: "O0 D30 D60 D90 D120 F150 F180 O210 D240 O270",
    transitions: [
      t("unknown", "up", 0, 0),
      t("up", "degraded", 30, 120, "latency", "D30"),
      t("degraded", "down", 150, 180, "refused", "F150"),
      t("down", "up", 210, 270),
    ],
    state: "up",
    since: 210,
  },
  // restored after a restart
  {
    name: "restored down: recovery closes the outage restored from the ledger",
    start: restoreHealth("down", RESTART),
    probes: "O0 O30",
    transitions: [t("down", "up", 0, 30)],
    state: "up",
    since: 0,
  },
  {
    name: "restored down: failures keep it down, since unchanged",
    start: restoreHealth("down", RESTART),
    probes: "F0 O30 F60",
    transitions: [],
    state: "down",
    since: null,
    sinceMs: RESTART,
  },
  {
    name: "restored up: needs a full failure streak after the restart",
    start: restoreHealth("up", RESTART),
    probes: "F0 F30 F60",
    transitions: [t("up", "down", 0, 60, "refused", "F0")],
    state: "down",
    since: 0,
  },
  {
    name: "restored degraded: needs a full ok streak after the restart",
    start: restoreHealth("degraded", RESTART),
    probes: "O0 O30",
    transitions: [t("degraded", "up", 0, 30)],
    state: "up",
    since: 0,
  },
];

describe("decide", () => {
  it.each(CASES)("$name", (testCase) => {
    const result = run(
      testCase.start ?? initialHealth(),
      testCase.probes,
      testCase.thresholds ?? DEFAULT,
    );
    expect(result.transitions).toEqual(
      testCase.transitions.map((expected) => toTransition(expected, testCase.probes)),
    );
    expect(result.health.state).toBe(testCase.state);
    const since = testCase.sinceMs ?? (testCase.since === null ? null : at(testCase.since));
    expect(result.health.since).toBe(since);
  });
});

describe("HealthState streak", () => {
  const STREAK_CASES = [
    {
      name: "failures in up count from the first failure",
      probes: "O0 F30 F60",
      streak: {
        kind: "failed",
        count: 2,
        startedAt: at(30),
        reason: "refused",
        detail: "F30",
        previousProbeAt: at(0),
      },
    },
    {
      name: "degraded probes in up",
      probes: "O0 D30",
      streak: {
        kind: "degraded",
        count: 1,
        startedAt: at(30),
        reason: "latency",
        detail: "D30",
        previousProbeAt: at(0),
      },
    },
    {
      name: "ok probes in degraded",
      probes: "D0 O30",
      streak: {
        kind: "ok",
        count: 1,
        startedAt: at(30),
        reason: null,
        detail: "O30",
        previousProbeAt: at(0),
      },
    },
    {
      name: "non-failed probes in down keep the first probe",
      probes: "F0 F30 F60 D90",
      thresholds: { ...DEFAULT, successThreshold: 3 },
      streak: {
        kind: "not_failed",
        count: 1,
        startedAt: at(90),
        reason: "latency",
        detail: "D90",
        previousProbeAt: at(60),
      },
    },
    {
      name: "the first probe of a run starts a streak with no probe before it",
      probes: "F0",
      streak: {
        kind: "failed",
        count: 1,
        startedAt: at(0),
        reason: "refused",
        detail: "F0",
        previousProbeAt: null,
      },
    },
    { name: "an ok probe in up ends every streak", probes: "O0 F30 O60", streak: null },
    { name: "a degraded probe in degraded ends every streak", probes: "D0 O30 D60", streak: null },
    {
      name: "a failure in down ends the recovery streak",
      probes: "F0 F30 F60 O90 F120",
      streak: null,
    },
    { name: "a transition starts with no streak", probes: "O0 F30 F60 F90", streak: null },
  ] as const;

  it.each(STREAK_CASES)("$name", (testCase) => {
    const thresholds = "thresholds" in testCase ? testCase.thresholds : DEFAULT;
    expect(run(initialHealth(), testCase.probes, thresholds).health.streak).toEqual(
      testCase.streak,
    );
  });

  it("survives a JSON round trip mid-streak and decides the same", () => {
    const midStreak = run(initialHealth(), "O0 F30 F60", DEFAULT).health;
    const restored = JSON.parse(JSON.stringify(midStreak)) as HealthState;
    expect(restored).toEqual(midStreak);
    const [next] = parseProbes("F90");
    const direct = decide(midStreak, next!, DEFAULT, at(90) + PROBE_MS, TARGET);
    const viaJson = decide(restored, next!, DEFAULT, at(90) + PROBE_MS, TARGET);
    expect(viaJson).toEqual(direct);
    expect(direct.transition?.at).toBe(at(30));
  });

  it("does not mutate the health it is given", () => {
    const before = run(initialHealth(), "O0 F30", DEFAULT).health;
    const snapshot = structuredClone(before);
    const [next] = parseProbes("F60");
    decide(before, next!, DEFAULT, at(60) + PROBE_MS, TARGET);
    expect(before).toEqual(snapshot);
  });
});

describe("sampling bounds: lastOkAt and lastFailedAt", () => {
  const OK_CASES: { probes: string; start?: HealthState; expected: number | null }[] = [
    { probes: "", expected: null },
    { probes: "O0", expected: at(0) },
    { probes: "D0", expected: at(0) },
    // a degraded probe did not fail
    { probes: "O0 D30", expected: at(30) },
    { probes: "O0 F30", expected: at(0) },
    { probes: "O0 F30 O60", expected: at(60) },
    { probes: "F0", expected: null },
    { probes: "F0 F30 F60", expected: null },
    { probes: "O0 F30 F60 F90", expected: at(0) },
    // while down, the outage's bound: a recovery below its threshold does not move it
    { probes: "O0 F30 F60 F90 O120", expected: at(0) },
    { probes: "O0 F30 F60 F90 O120 O150 F180", expected: at(150) },
    {
      probes: "",
      start: restoreHealth("down", RESTART, RESTART - 30_000),
      expected: RESTART - 30_000,
    },
    { probes: "", start: restoreHealth("up", RESTART, RESTART - 30_000), expected: null },
    { probes: "F0", start: restoreHealth("up", RESTART), expected: null },
  ];

  it.each(OK_CASES)("lastOkAt after $probes", ({ probes, start, expected }) => {
    const health =
      probes === ""
        ? (start ?? initialHealth())
        : run(start ?? initialHealth(), probes, DEFAULT).health;
    expect(lastOkAt(health)).toBe(expected);
  });

  const FAILED_CASES: { probes: string; start?: HealthState; expected: number | null }[] = [
    { probes: "F0 F30 F60", expected: at(60) },
    { probes: "F0 F30 F60 F90", expected: at(90) },
    { probes: "F0 F30 F60 O90", expected: at(60) },
    { probes: "F0 F30 F60 O90 F120", expected: at(120) },
    { probes: "O0", start: restoreHealth("down", RESTART), expected: null },
    { probes: "F0 O30", start: restoreHealth("down", RESTART), expected: at(0) },
  ];

  it.each(FAILED_CASES)("lastFailedAt after $probes", ({ probes, start, expected }) => {
    const health = run(start ?? initialHealth(), probes, DEFAULT).health;
    expect(health.state).toBe("down");
    expect(lastFailedAt(health)).toBe(expected);
  });

  it("an outage's end carries the start of its last failed probe", () => {
    const { transitions } = run(initialHealth(), "O0 F30 F60 F90 F120 O150 O180", DEFAULT);
    expect(transitions.map((t) => [t.to, t.at, t.previousProbeAt])).toEqual([
      ["up", at(0), null],
      ["down", at(30), at(0)],
      ["up", at(150), at(120)],
    ]);
  });
});

describe("decide, properties over random probe sequences", () => {
  const verdict = fc.constantFrom("O", "D", "F");
  const threshold = fc.integer({ min: 1, max: 4 });

  it("chains transitions, never goes back in time, and takes `at` from a probe", () => {
    fc.assert(
      fc.property(
        fc.array(verdict, { minLength: 1, maxLength: 60 }),
        threshold,
        threshold,
        threshold,
        (letters, failureThreshold, successThreshold, degradedThreshold) => {
          const sequence = letters.map((letter, index) => `${letter}${index * 30}`).join(" ");
          const thresholds = { failureThreshold, successThreshold, degradedThreshold };
          const { health, transitions } = run(initialHealth(), sequence, thresholds);
          const starts = new Set(parseProbes(sequence).map((probe) => probe.startedAt));
          let state: TargetState = "unknown";
          let lastDetected = -Infinity;
          let lastAt = -Infinity;
          for (const transition of transitions) {
            expect(transition.from).toBe(state);
            expect(transition.to).not.toBe(transition.from);
            expect(starts.has(transition.at)).toBe(true);
            expect(transition.previousProbeAt).toBe(probeBefore(sequence, transition.at));
            expect(transition.at).toBeLessThanOrEqual(transition.detectedAt);
            expect(transition.at).toBeGreaterThan(lastAt);
            expect(transition.at).toBeGreaterThan(lastDetected - PROBE_MS);
            state = transition.to;
            lastAt = transition.at;
            lastDetected = transition.detectedAt;
          }
          expect(health.state).toBe(state);
        },
      ),
    );
  });
});
