import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TargetState } from "../../src/health/types.js";
import type { StoredTransition } from "../../src/ledger/ledger.js";
import {
  blindSecondsOf,
  clip,
  type DerivedOutage,
  type Interval,
  mergeIntervals,
  outagesFromTransitions,
  overlapSeconds,
  type TimedTransition,
  type Window,
} from "../../src/ledger/outages.js";
import {
  type AvailabilitySummary,
  rollUp,
  summarizeTarget,
} from "../../src/ledger/window-summary.js";
import { ZERO } from "../support/summaries.js";

/** 20 June 2024 00:00 UTC. */
const T0 = Date.UTC(2024, 5, 20);
/** Epoch ms of `minutes` after T0. */
const m = (minutes: number): number => T0 + minutes * 60_000;
/** The report window of every summary case: one hour, [m(0), m(60)). */
const HOUR: Window = { since: m(0), until: m(60) };

/** [["up", m(-10)], ["down", m(20)]]: each entry is the state entered and when. */
type Timeline = [TargetState, number][];

function transitionsOf(timeline: Timeline): TimedTransition[] {
  let from: TargetState = "unknown";
  return timeline.map(([to, at]) => {
    const transition = { from, to, at };
    from = to;
    return transition;
  });
}

/** [start, end] in minutes; end null = open. */
const span = (start: number, end: number | null): Interval => ({
  start: m(start),
  end: end === null ? null : m(end),
});

const ALWAYS_UP: AvailabilitySummary = {
  ...ZERO,
  availability: 1,
  upSeconds: 3600,
  observedSeconds: 3600,
};

interface SummaryCase {
  name: string;
  timeline: Timeline;
  window?: Window;
  gaps?: Interval[];
  maintenance?: Interval[];
  expected: AvailabilitySummary;
}

const SUMMARY_CASES: Record<string, SummaryCase> = {
  allUp: {
    name: "up across the whole window",
    timeline: [["up", m(-10)]],
    expected: ALWAYS_UP,
  },
  clippedBothEdges: {
    name: "an outage across the whole window is clipped at both edges",
    timeline: [
      ["up", m(-100)],
      ["down", m(-10)],
      ["up", m(70)],
    ],
    expected: {
      ...ZERO,
      availability: 0,
      downSeconds: 3600,
      observedSeconds: 3600,
      outageCount: 1,
      totalOutageSeconds: 3600,
      longestOutageSeconds: 3600,
    },
  },
  clippedAtStart: {
    name: "an outage clipped at the start and ended inside: MTTR takes its whole 30 min",
    timeline: [
      ["up", m(-100)],
      ["down", m(-10)],
      ["up", m(20)],
    ],
    expected: {
      ...ZERO,
      availability: 2400 / 3600,
      upSeconds: 2400,
      downSeconds: 1200,
      observedSeconds: 3600,
      outageCount: 1,
      endedOutageCount: 1,
      endedOutageSeconds: 1800,
      totalOutageSeconds: 1200,
      longestOutageSeconds: 1200,
      mttrSeconds: 1800,
    },
  },
  openOutage: {
    name: "an open outage runs to the window's end",
    timeline: [
      ["up", m(-100)],
      ["down", m(45)],
    ],
    expected: {
      ...ZERO,
      availability: 0.75,
      upSeconds: 2700,
      downSeconds: 900,
      observedSeconds: 3600,
      outageCount: 1,
      startedOutageCount: 1,
      totalOutageSeconds: 900,
      longestOutageSeconds: 900,
      mtbfSeconds: 2700,
    },
  },
  clippedAtEnd: {
    name: "an outage ending after the window is clipped and not ended",
    timeline: [
      ["up", m(-100)],
      ["down", m(45)],
      ["up", m(75)],
    ],
    expected: {
      ...ZERO,
      availability: 0.75,
      upSeconds: 2700,
      downSeconds: 900,
      observedSeconds: 3600,
      outageCount: 1,
      startedOutageCount: 1,
      totalOutageSeconds: 900,
      longestOutageSeconds: 900,
      mtbfSeconds: 2700,
    },
  },
  unknownExcluded: {
    name: "time before the first transition is unknown, not in the denominator",
    timeline: [
      ["up", m(15)],
      ["down", m(30)],
      ["up", m(40)],
    ],
    expected: {
      ...ZERO,
      availability: 2100 / 2700,
      upSeconds: 2100,
      downSeconds: 600,
      unknownSeconds: 900,
      observedSeconds: 2700,
      outageCount: 1,
      startedOutageCount: 1,
      endedOutageCount: 1,
      endedOutageSeconds: 600,
      totalOutageSeconds: 600,
      longestOutageSeconds: 600,
      mttrSeconds: 600,
      mtbfSeconds: 2100,
    },
  },
  neverJudged: {
    name: "no transition at all: all unknown, availability null",
    timeline: [],
    expected: { ...ZERO, unknownSeconds: 3600 },
  },
  firstTransitionAfterWindow: {
    name: "a first transition after the window leaves it all unknown",
    timeline: [["up", m(70)]],
    expected: { ...ZERO, unknownSeconds: 3600 },
  },
  gapAndMaintenanceOverlap: {
    name: "overlapping gap and maintenance windows are counted once, gap first",
    timeline: [["up", m(-10)]],
    gaps: [span(10, 20)],
    maintenance: [span(15, 30), span(25, 35)],
    expected: {
      ...ZERO,
      availability: 1,
      upSeconds: 2100,
      blindSeconds: 600,
      maintenanceSeconds: 900,
      observedSeconds: 2100,
    },
  },
  gapsOverlapAndOpen: {
    name: "overlapping gaps merge; an open gap runs to the window's end",
    timeline: [["up", m(-10)]],
    gaps: [span(5, 15), span(10, 20), span(50, null)],
    expected: {
      ...ZERO,
      availability: 1,
      upSeconds: 2100,
      blindSeconds: 1500,
      observedSeconds: 2100,
    },
  },
  gapInsideOutage: {
    name: "a gap inside an outage: outage wall time kept, down seconds exclude it",
    timeline: [
      ["up", m(-10)],
      ["down", m(10)],
      ["up", m(40)],
    ],
    gaps: [span(20, 30)],
    expected: {
      ...ZERO,
      availability: 0.6,
      upSeconds: 1800,
      downSeconds: 1200,
      blindSeconds: 600,
      observedSeconds: 3000,
      outageCount: 1,
      startedOutageCount: 1,
      endedOutageCount: 1,
      endedOutageSeconds: 1800,
      totalOutageSeconds: 1800,
      longestOutageSeconds: 1800,
      mttrSeconds: 1800,
      mtbfSeconds: 1800,
    },
  },
  excludedAtEdges: {
    name: "gaps and maintenance straddling the window edges are clipped",
    timeline: [["up", m(-10)]],
    gaps: [span(-30, 5)],
    maintenance: [span(55, 90), span(-90, -60)],
    expected: {
      ...ZERO,
      availability: 1,
      upSeconds: 3000,
      blindSeconds: 300,
      maintenanceSeconds: 300,
      observedSeconds: 3000,
    },
  },
  wholeWindowBlind: {
    name: "a window wholly inside a gap observes nothing",
    timeline: [["up", m(-10)]],
    gaps: [span(-5, null)],
    expected: { ...ZERO, blindSeconds: 3600 },
  },
  outageInMaintenance: {
    name: "an outage inside maintenance is still an outage, but not down time",
    timeline: [
      ["up", m(-10)],
      ["down", m(10)],
      ["up", m(20)],
    ],
    maintenance: [span(0, 30)],
    expected: {
      ...ZERO,
      availability: 1,
      upSeconds: 1800,
      maintenanceSeconds: 1800,
      observedSeconds: 1800,
      outageCount: 1,
      startedOutageCount: 1,
      endedOutageCount: 1,
      endedOutageSeconds: 600,
      totalOutageSeconds: 600,
      longestOutageSeconds: 600,
      mttrSeconds: 600,
      mtbfSeconds: 1800,
    },
  },
  degradedIsAvailable: {
    name: "degraded counts as available; down → degraded ends the outage",
    timeline: [
      ["up", m(-5)],
      ["degraded", m(10)],
      ["down", m(20)],
      ["degraded", m(30)],
      ["up", m(50)],
    ],
    expected: {
      ...ZERO,
      availability: 3000 / 3600,
      upSeconds: 1200,
      degradedSeconds: 1800,
      downSeconds: 600,
      observedSeconds: 3600,
      outageCount: 1,
      startedOutageCount: 1,
      endedOutageCount: 1,
      endedOutageSeconds: 600,
      totalOutageSeconds: 600,
      longestOutageSeconds: 600,
      mttrSeconds: 600,
      mtbfSeconds: 3000,
    },
  },
  severalOutages: {
    name: "three outages, one open: MTTR over the 2 ended, MTBF over the 3 started",
    timeline: [
      ["up", m(-1)],
      ["down", m(5)],
      ["up", m(10)],
      ["down", m(20)],
      ["up", m(35)],
      ["down", m(50)],
    ],
    expected: {
      ...ZERO,
      availability: 0.5,
      upSeconds: 1800,
      downSeconds: 1800,
      observedSeconds: 3600,
      outageCount: 3,
      startedOutageCount: 3,
      endedOutageCount: 2,
      endedOutageSeconds: 1200,
      totalOutageSeconds: 1800,
      longestOutageSeconds: 900,
      mttrSeconds: 600,
      mtbfSeconds: 600,
    },
  },
  endsAtSince: {
    name: "an outage ending exactly at since is outside the half-open window",
    timeline: [
      ["up", m(-20)],
      ["down", m(-10)],
      ["up", m(0)],
    ],
    expected: ALWAYS_UP,
  },
  startsAtUntil: {
    name: "an outage starting exactly at until is outside the half-open window",
    timeline: [
      ["up", m(-10)],
      ["down", m(60)],
    ],
    expected: ALWAYS_UP,
  },
  endsAtUntil: {
    name: "an outage ending exactly at until ended inside the window",
    timeline: [
      ["up", m(-10)],
      ["down", m(30)],
      ["up", m(60)],
    ],
    expected: {
      ...ZERO,
      availability: 0.5,
      upSeconds: 1800,
      downSeconds: 1800,
      observedSeconds: 3600,
      outageCount: 1,
      startedOutageCount: 1,
      endedOutageCount: 1,
      endedOutageSeconds: 1800,
      totalOutageSeconds: 1800,
      longestOutageSeconds: 1800,
      mttrSeconds: 1800,
      mtbfSeconds: 1800,
    },
  },
  transitionAtSince: {
    name: "a first transition exactly at since leaves no unknown time",
    timeline: [["up", m(0)]],
    expected: ALWAYS_UP,
  },
  millisecondPrecision: {
    name: "a 4.567 s outage keeps its milliseconds",
    timeline: [
      ["up", m(-10)],
      ["down", m(10) + 123],
      ["up", m(10) + 123 + 4567],
    ],
    expected: {
      ...ZERO,
      availability: 3_595_433 / 3_600_000,
      upSeconds: 3595.433,
      downSeconds: 4.567,
      observedSeconds: 3600,
      outageCount: 1,
      startedOutageCount: 1,
      endedOutageCount: 1,
      endedOutageSeconds: 4.567,
      totalOutageSeconds: 4.567,
      longestOutageSeconds: 4.567,
      mttrSeconds: 4.567,
      mtbfSeconds: 3595.433,
    },
  },
  emptyWindow: {
    name: "an empty window yields zeros",
    timeline: [["up", m(-10)]],
    window: { since: m(10), until: m(10) },
    expected: ZERO,
  },
};

function summarize(testCase: SummaryCase): AvailabilitySummary {
  return summarizeTarget({
    transitions: transitionsOf(testCase.timeline),
    window: testCase.window ?? HOUR,
    gaps: testCase.gaps ?? [],
    maintenance: testCase.maintenance ?? [],
  });
}

describe("summarizeTarget", () => {
  it.each(Object.values(SUMMARY_CASES))("$name", (testCase) => {
    expect(summarize(testCase)).toEqual(testCase.expected);
  });

  it("sorts transitions given out of order", () => {
    const reversed = transitionsOf(SUMMARY_CASES.severalOutages!.timeline).reverse();
    const summary = summarizeTarget({
      transitions: reversed,
      window: HOUR,
      gaps: [],
      maintenance: [],
    });
    expect(summary).toEqual(SUMMARY_CASES.severalOutages!.expected);
  });

  it("counts every ms of the window exactly once (property)", () => {
    const minute = fc.integer({ min: -30, max: 90 });
    const state = fc.constantFrom<TargetState>("up", "degraded", "down");
    const interval = fc
      .tuple(minute, fc.option(fc.integer({ min: 0, max: 60 }), { nil: null }))
      .map(([start, length]) => span(start, length === null ? null : start + length));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(state, minute), { maxLength: 12 }),
        fc.array(interval, { maxLength: 4 }),
        fc.array(interval, { maxLength: 4 }),
        (steps, gaps, maintenance) => {
          const timeline = steps
            .map(([to, at]): [TargetState, number] => [to, m(at)])
            .sort((a, b) => a[1] - b[1]);
          const summary = summarizeTarget({
            transitions: transitionsOf(timeline),
            window: HOUR,
            gaps,
            maintenance,
          });
          const parts =
            summary.upSeconds +
            summary.degradedSeconds +
            summary.downSeconds +
            summary.unknownSeconds +
            summary.blindSeconds +
            summary.maintenanceSeconds;
          expect(parts).toBe(3600);
          expect(summary.downSeconds).toBeLessThanOrEqual(summary.totalOutageSeconds);
          expect(summary.longestOutageSeconds).toBeLessThanOrEqual(summary.totalOutageSeconds);
        },
      ),
    );
  });
});

describe("rollUp", () => {
  const clippedAtStart = summarize(SUMMARY_CASES.clippedAtStart!);
  const severalOutages = summarize(SUMMARY_CASES.severalOutages!);
  const unknownExcluded = summarize(SUMMARY_CASES.unknownExcluded!);

  const ROLL_UP_CASES: {
    name: string;
    summaries: AvailabilitySummary[];
    expected: AvailabilitySummary;
  }[] = [
    { name: "nothing to roll up", summaries: [], expected: ZERO },
    {
      name: "one target rolls up to itself",
      summaries: [unknownExcluded],
      expected: unknownExcluded,
    },
    {
      name: "three targets: seconds summed, availability from sums, MTTR weighted by ended outages",
      summaries: [clippedAtStart, severalOutages, unknownExcluded],
      expected: {
        ...ZERO,
        // 6300 / 9900 = 0.636…, not the mean of 0.667, 0.5 and 0.778
        availability: 6300 / 9900,
        upSeconds: 6300,
        downSeconds: 3600,
        unknownSeconds: 900,
        observedSeconds: 9900,
        outageCount: 5,
        startedOutageCount: 4,
        endedOutageCount: 4,
        endedOutageSeconds: 3600,
        totalOutageSeconds: 3600,
        longestOutageSeconds: 1200,
        // (1800 + 600 + 600 + 600) / 4, not the mean of the MTTRs (1800, 600, 600)
        mttrSeconds: 900,
        mtbfSeconds: 1575,
      },
    },
    {
      name: "blind and maintenance seconds are summed and stay out of availability",
      summaries: [
        summarize(SUMMARY_CASES.gapAndMaintenanceOverlap!),
        summarize(SUMMARY_CASES.gapInsideOutage!),
      ],
      expected: {
        ...ZERO,
        availability: 3900 / 5100,
        upSeconds: 3900,
        downSeconds: 1200,
        blindSeconds: 1200,
        maintenanceSeconds: 900,
        observedSeconds: 5100,
        outageCount: 1,
        startedOutageCount: 1,
        endedOutageCount: 1,
        endedOutageSeconds: 1800,
        totalOutageSeconds: 1800,
        longestOutageSeconds: 1800,
        mttrSeconds: 1800,
        mtbfSeconds: 3900,
      },
    },
  ];

  it.each(ROLL_UP_CASES)("$name", (testCase) => {
    expect(rollUp(testCase.summaries)).toEqual(testCase.expected);
  });
});

describe("clip", () => {
  const CLIP_CASES: { name: string; interval: Interval; expected: Interval | null }[] = [
    { name: "inside", interval: span(10, 20), expected: span(10, 20) },
    { name: "straddling since", interval: span(-5, 20), expected: span(0, 20) },
    { name: "straddling until", interval: span(50, 70), expected: span(50, 60) },
    { name: "covering the window", interval: span(-5, 70), expected: span(0, 60) },
    { name: "open, read as until", interval: span(50, null), expected: span(50, 60) },
    { name: "open from before since", interval: span(-50, null), expected: span(0, 60) },
    { name: "before the window", interval: span(-20, -10), expected: null },
    { name: "after the window", interval: span(70, 80), expected: null },
    { name: "ending exactly at since", interval: span(-10, 0), expected: null },
    { name: "starting exactly at until", interval: span(60, 70), expected: null },
    { name: "open from until", interval: span(60, null), expected: null },
    { name: "empty", interval: span(10, 10), expected: null },
  ];

  it.each(CLIP_CASES)("$name", ({ interval, expected }) => {
    expect(clip(interval, HOUR)).toEqual(expected);
  });
});

describe("mergeIntervals", () => {
  const MERGE_CASES: { name: string; intervals: Interval[]; expected: Interval[] }[] = [
    { name: "none", intervals: [], expected: [] },
    {
      name: "overlapping, out of order",
      intervals: [span(15, 30), span(10, 20)],
      expected: [span(10, 30)],
    },
    {
      name: "touching ones join",
      intervals: [span(10, 20), span(20, 30)],
      expected: [span(10, 30)],
    },
    { name: "contained", intervals: [span(10, 40), span(20, 30)], expected: [span(10, 40)] },
    {
      name: "disjoint stay apart, sorted",
      intervals: [span(40, 50), span(10, 20)],
      expected: [span(10, 20), span(40, 50)],
    },
    {
      name: "open read as now, empty dropped",
      intervals: [span(50, null), span(5, 5), span(70, null)],
      expected: [span(50, 60)],
    },
  ];

  it.each(MERGE_CASES)("$name", ({ intervals, expected }) => {
    expect(mergeIntervals(intervals, m(60))).toEqual(expected);
  });
});

describe("overlapSeconds and blindSecondsOf", () => {
  const NOW = m(60);
  const OVERLAP_CASES: { name: string; a: Interval; others: Interval[]; expected: number }[] = [
    {
      name: "overlapping others are not counted twice",
      a: span(0, 60),
      others: [span(10, 20), span(15, 25)],
      expected: 900,
    },
    {
      name: "duplicates are not counted twice",
      a: span(0, 60),
      others: [span(10, 20), span(10, 20)],
      expected: 600,
    },
    { name: "an open other runs to now", a: span(0, 60), others: [span(50, null)], expected: 600 },
    { name: "an open a runs to now", a: span(30, null), others: [span(20, 40)], expected: 600 },
    {
      name: "partly outside a",
      a: span(10, 30),
      others: [span(0, 15), span(25, 90)],
      expected: 600,
    },
    { name: "touching only", a: span(0, 60), others: [span(60, 70)], expected: 0 },
    { name: "no others", a: span(0, 60), others: [], expected: 0 },
    {
      name: "milliseconds kept",
      a: { start: m(10), end: m(10) + 1500 },
      others: [span(0, 60)],
      expected: 1.5,
    },
  ];

  it.each(OVERLAP_CASES)("$name", ({ a, others, expected }) => {
    expect(overlapSeconds(a, others, NOW)).toBe(expected);
  });

  it("an open outage is blind for its overlap with a closed and an open gap", () => {
    const gaps = [span(20, 25), span(40, null), span(-30, -20)];
    expect(blindSecondsOf(span(10, null), gaps, m(50))).toBe(900);
  });

  it("an outage ended before a gap opened has no blind seconds", () => {
    expect(blindSecondsOf(span(10, 20), [span(20, null)], m(50))).toBe(0);
  });
});

describe("outagesFromTransitions", () => {
  let nextId = 1;
  function stored(
    targetId: string,
    from: TargetState,
    to: TargetState,
    atMinutes: number,
    extra: Partial<StoredTransition> = {},
  ): StoredTransition {
    return {
      id: nextId++,
      runId: 1,
      instance: "jakarta-1",
      targetId,
      service: `${targetId}-service`,
      site: "pdns2",
      from,
      to,
      at: m(atMinutes),
      detectedAt: m(atMinutes) + 60_000,
      reason: to === "down" ? "timeout" : null,
      detail: to === "down" ? `timeout at ${atMinutes}` : null,
      blockedBy: null,
      maintenance: false,
      previousProbeAt: null,
      ...extra,
    };
  }

  function outage(
    targetId: string,
    startMinutes: number,
    endMinutes: number | null,
    extra: Partial<DerivedOutage> = {},
  ): DerivedOutage {
    return {
      instance: "jakarta-1",
      targetId,
      service: `${targetId}-service`,
      site: "pdns2",
      start: m(startMinutes),
      end: endMinutes === null ? null : m(endMinutes),
      detectedAt: m(startMinutes) + 60_000,
      reason: "timeout",
      detail: `timeout at ${startMinutes}`,
      blockedBy: null,
      blockedUntil: null,
      maintenance: false,
      endReason: endMinutes === null ? null : "recovered",
      lastOkAt: null,
      lastFailedAt: null,
      ...extra,
    };
  }

  const CASES: { name: string; transitions: StoredTransition[]; expected: DerivedOutage[] }[] = [
    { name: "no transitions", transitions: [], expected: [] },
    {
      name: "two targets interleaved: one recovered, one still open",
      transitions: [
        stored("simkim-core", "up", "down", 0, { blockedBy: null }),
        stored("autogate-cgk", "up", "down", 2, { blockedBy: "simkim-core" }),
        stored("autogate-cgk", "down", "up", 30),
        stored("simkim-core", "down", "up", 45),
        stored("simkim-core", "up", "down", 50),
      ],
      expected: [
        outage("simkim-core", 0, 45),
        outage("autogate-cgk", 2, 30, { blockedBy: "simkim-core" }),
        outage("simkim-core", 50, null),
      ],
    },
    {
      name: "down → degraded ends an outage; a removed target's ends as removed",
      transitions: [
        stored("autogate-dps", "degraded", "down", 0),
        stored("autogate-dps", "down", "degraded", 20),
        stored("autogate-cgk", "up", "down", 5, { maintenance: true }),
        stored("autogate-cgk", "down", "unknown", 25, { reason: "removed" }),
      ],
      expected: [
        outage("autogate-dps", 0, 20),
        outage("autogate-cgk", 5, 25, { maintenance: true, endReason: "removed" }),
      ],
    },
    {
      name: "given out of order, sorted by time per target",
      transitions: [
        stored("simkim-core", "down", "up", 40),
        stored("simkim-core", "up", "down", 10),
        stored("simkim-core", "unknown", "up", 0),
      ],
      expected: [outage("simkim-core", 10, 40)],
    },
    {
      name: "a close with no open before it is ignored",
      transitions: [
        stored("simkim-core", "down", "up", 10),
        stored("simkim-core", "up", "down", 20),
      ],
      expected: [outage("simkim-core", 20, null)],
    },
    {
      name: "two instances watching one target keep separate outages",
      transitions: [
        stored("simkim-core", "up", "down", 0),
        stored("simkim-core", "up", "down", 1, { instance: "surabaya-1" }),
        stored("simkim-core", "down", "up", 10, { instance: "surabaya-1" }),
      ],
      expected: [
        outage("simkim-core", 0, null),
        outage("simkim-core", 1, 10, { instance: "surabaya-1" }),
      ],
    },
  ];

  it.each(CASES)("$name", ({ transitions, expected }) => {
    expect(outagesFromTransitions(transitions)).toEqual(expected);
  });
});
