import { describe, expect, it } from "vitest";
import type { TargetState } from "../../../src/health/types.js";
import type { Restoration } from "../../../src/ledger/figures/restoration.js";
import {
  type HistoryTransition,
  monitorRows,
  type TimelineInput,
  type TimelineSpan,
  timelineRows,
} from "../../../src/ledger/figures/timeline-rows.js";
import type { MonitorGap } from "../../../src/ledger/figures/unwatched.js";
import { m } from "../../report/fixture.js";

/**
 * The timeline's rows, pure: every instant of a row is what the ledger knows of it (up is drawn,
 * never assumed), what was not observed is its own kind, and a service's rows are in the order
 * its targets came back up.
 */

const WINDOW = { since: m(0), until: m(100) };
const keyOf = (target: { instance: string; targetId: string }) =>
  `${target.instance}/${target.targetId}`;

const target = (targetId: string, site: string, service = "autogate") => ({
  instance: "jkt",
  targetId,
  service,
  site,
});

const step = (minute: number, to: TargetState, reason: string | null = null) =>
  ({ at: m(minute), to, reason, detail: null }) satisfies HistoryTransition;

function input(overrides: Partial<TimelineInput>): TimelineInput {
  return {
    targets: [],
    window: WINDOW,
    histories: new Map(),
    outages: [],
    gaps: [],
    maintenance: null,
    firstObservation: m(-60),
    restoration: new Map(),
    keyOf,
    ...overrides,
  };
}

const spans = (found: readonly TimelineSpan[]) =>
  found.map((span) => [
    span.kind,
    (span.start - m(0)) / 60_000,
    (span.end - m(0)) / 60_000,
    span.note,
  ]);

describe("timelineRows", () => {
  it("draws up where the ledger says up, and the unknown before and after as not observed", () => {
    const a = target("a", "x");
    const [row] = timelineRows(
      input({
        targets: [a],
        histories: new Map([[keyOf(a), [step(10, "up"), step(60, "unknown", "removed")]]]),
        firstObservation: m(5),
      }),
    );
    expect(spans(row?.spans ?? [])).toEqual([
      ["up", 10, 60, null],
      ["unobserved", 0, 5, "pantau was not running yet"],
      ["unobserved", 5, 10, "unknown: no verdict yet"],
      ["unobserved", 60, 100, "unknown: removed"],
    ]);
  });

  it("draws the monitor's gaps over the target's state", () => {
    const a = target("a", "x");
    const gaps: MonitorGap[] = [
      { instance: "jkt", kind: "restart", start: m(20), end: m(30) },
      { instance: "other", kind: "blind", start: m(40), end: m(50) },
    ];
    const [row] = timelineRows(
      input({ targets: [a], histories: new Map([[keyOf(a), [step(-10, "up")]]]), gaps }),
    );
    expect(spans(row?.spans ?? [])).toEqual([
      ["up", 0, 100, null],
      ["unobserved", 20, 30, "restart: no daemon was running"],
    ]);
  });

  it("orders a service's rows by when they came back up, then those not back, then the rest", () => {
    const rows = [
      target("autogate-cgk", "cgk"),
      target("autogate-dps", "dps"),
      target("autogate-kno", "kno"),
      target("autogate-upg", "upg"),
      target("portal", "jakarta", "portal"),
    ];
    const back = (restoredAt: number | null): Restoration => ({
      restoredAt,
      endState: restoredAt === null ? "down" : "up",
      downSeconds: 60,
      degradedSeconds: 0,
    });
    const restoration = new Map([
      [keyOf(rows[0] as (typeof rows)[0]), back(m(80))],
      [keyOf(rows[1] as (typeof rows)[0]), back(m(30))],
      [keyOf(rows[2] as (typeof rows)[0]), back(null)],
    ]);
    const found = timelineRows(input({ targets: [...rows].reverse(), restoration }));
    expect(found.map((row) => row.targetId)).toEqual([
      "autogate-dps",
      "autogate-cgk",
      "autogate-kno",
      "autogate-upg",
      "portal",
    ]);
  });
});

describe("monitorRows", () => {
  it("shows each instance watching between its gaps and after the ledger's first run", () => {
    const gaps: MonitorGap[] = [
      { instance: "", kind: "not-started", start: m(0), end: m(10) },
      { instance: "jkt", kind: "blind", start: m(40), end: m(50) },
      { instance: "jkt", kind: "stopped", start: m(90), end: null },
      { instance: "sby", kind: "restart", start: m(60), end: m(70) },
    ];
    const rows = timelineRows(input({ targets: [target("a", "x")] }));
    const [jkt, ...others] = monitorRows(rows, gaps, WINDOW);
    expect(others).toEqual([]);
    expect(jkt?.instance).toBe("jkt");
    expect(spans(jkt?.spans ?? [])).toEqual([
      ["up", 10, 40, "watching"],
      ["up", 50, 90, "watching"],
      ["unobserved", 0, 10, "pantau was not running yet"],
      ["unobserved", 40, 50, "blind: every canary failed"],
      ["unobserved", 90, 100, "stopped: no daemon running"],
    ]);
  });
});
