import { describe, expect, it } from "vitest";
import {
  degradedSpells,
  degradedSummary,
  outageSummary,
  type SummaryTransition,
} from "../../src/cli/demo-summary.js";

const T0 = Date.UTC(2024, 5, 19, 16);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const clock = { origin: T0, now: T0 + 4 * DAY };

const t = (
  at: number,
  targetId: string,
  from: SummaryTransition["from"],
  to: SummaryTransition["to"],
): SummaryTransition => ({ at: T0 + at, targetId, from, to });

describe("outageSummary", () => {
  it("lists every outage by start, in scenario time, open ones to now", () => {
    const text = outageSummary(
      [
        {
          targetId: "portal-imigrasi",
          start: T0 + 2 * HOUR + 7 * MINUTE + 250,
          end: T0 + 2 * DAY + HOUR + 37 * MINUTE,
          reason: "status",
          blockedBy: "simkim-core",
        },
        {
          targetId: "simkim-core",
          start: T0 + HOUR,
          end: T0 + 2 * DAY + HOUR,
          reason: "refused",
          blockedBy: null,
        },
        { targetId: "evisa", start: T0 + 3 * DAY, end: null, reason: "status", blockedBy: null },
      ],
      clock,
    );
    expect(text).toBe(
      [
        "target                 start      end        down for     seconds    cause",
        "simkim-core            +0d 01:00  +2d 01:00  2d           172800     refused",
        "portal-imigrasi        +0d 02:07  +2d 01:37  1d 23h 29m   170999.75  blocked by simkim-core",
        "evisa                  +3d 00:00  open       1d           86400      status",
        "",
      ].join("\n"),
    );
  });

  it("says when there was none", () => {
    expect(outageSummary([], clock)).toBe("no outages\n");
  });
});

describe("degradedSpells", () => {
  it.each([
    {
      name: "from each →degraded to the target's next transition, whatever it is",
      transitions: [
        t(3 * HOUR, "autogate-kno", "up", "degraded"),
        t(4 * HOUR, "autogate-kno", "degraded", "down"),
        t(10 * HOUR, "autogate-kno", "down", "degraded"),
        t(3 * DAY + 3 * HOUR, "autogate-kno", "degraded", "up"),
      ],
      spells: [
        { targetId: "autogate-kno", start: T0 + 3 * HOUR, end: T0 + 4 * HOUR },
        { targetId: "autogate-kno", start: T0 + 10 * HOUR, end: T0 + 3 * DAY + 3 * HOUR },
      ],
    },
    {
      name: "a spell still running has no end; other targets do not end it",
      transitions: [
        t(HOUR, "autogate-cgk", "unknown", "degraded"),
        t(2 * HOUR, "autogate-dps", "up", "down"),
      ],
      spells: [{ targetId: "autogate-cgk", start: T0 + HOUR, end: null }],
    },
    {
      name: "in time order whatever the order given",
      transitions: [t(2 * HOUR, "evisa", "degraded", "up"), t(HOUR, "evisa", "down", "degraded")],
      spells: [{ targetId: "evisa", start: T0 + HOUR, end: T0 + 2 * HOUR }],
    },
    { name: "none", transitions: [t(HOUR, "evisa", "unknown", "up")], spells: [] },
  ])("$name", ({ transitions, spells }) => {
    expect(degradedSpells(transitions)).toEqual(spells);
  });
});

describe("degradedSummary", () => {
  it("totals each target's spells, by target id", () => {
    const spells = degradedSpells([
      t(3 * HOUR, "autogate-kno", "up", "degraded"),
      t(4 * HOUR, "autogate-kno", "degraded", "down"),
      t(10 * HOUR, "autogate-kno", "down", "degraded"),
      t(3 * DAY + 3 * HOUR, "autogate-kno", "degraded", "up"),
      t(3 * HOUR + 5 * MINUTE, "autogate-cgk", "up", "degraded"),
      t(2 * DAY + 2 * HOUR + 5 * MINUTE, "autogate-cgk", "degraded", "up"),
      t(3 * DAY + 20 * HOUR, "evisa", "up", "degraded"),
    ]);
    expect(degradedSummary(spells, clock)).toBe(
      [
        "target                 from       to         degraded for seconds    spells",
        "autogate-cgk           +0d 03:05  +2d 02:05  1d 23h       169200     1",
        "autogate-kno           +0d 03:00  +3d 03:00  2d 18h       237600     2",
        "evisa                  +3d 20:00  open       4h           14400      1",
        "",
      ].join("\n"),
    );
  });

  it("says when no target was degraded", () => {
    expect(degradedSummary([], clock)).toBe("no target was degraded\n");
  });
});
