import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TargetState } from "../../../src/health/types.js";
import type { TargetHistory } from "../../../src/ledger/figures/availability.js";
import { type IncidentReport, readIncident } from "../../../src/ledger/figures/incident.js";
import { restorationOrder, unionLengthMs } from "../../../src/ledger/figures/restoration.js";
import {
  buildIncidentLedger,
  type IncidentLedger,
  MAINTENANCE_WINDOWS,
  m,
  NOW,
  WINDOW,
} from "../../report/incident-fixture.js";

let fixture: IncidentLedger;
let withConfig: IncidentReport;
let withoutConfig: IncidentReport;

beforeAll(async () => {
  fixture = await buildIncidentLedger();
  withConfig = await readIncident(fixture.ledger, WINDOW, NOW, MAINTENANCE_WINDOWS);
  withoutConfig = await readIncident(fixture.ledger, WINDOW, NOW, null);
});

afterAll(async () => {
  await fixture.cleanup();
});

const MIN = 60;

describe("restoration order of the June 2024 incident", () => {
  it("lists the sites in the order they came back up: CGK first, the portal's site not yet", () => {
    expect(withConfig.restoration.sites.map((s) => [s.site, s.restoredAt, s.endState])).toEqual([
      ["cgk", m(310), "up"],
      ["pdns2", m(420), "up"],
      ["dps", m(500), "up"],
      ["jakarta", null, "down"],
    ]);
  });

  it("gives each site's down and degraded time as unions over its targets, less the gaps", () => {
    const cgk = withConfig.restoration.sites[0];
    // autogate down [01:02, 05:00), passport manual [01:05, 05:10); both lose 30 min of gaps
    expect(cgk).toMatchObject({
      downSeconds: (300 - 62 - 30) * MIN,
      degradedSeconds: (310 - 65 - 30) * MIN,
      targetCount: 2,
      affectedTargetCount: 2,
    });
    const jakarta = withConfig.restoration.sites[3];
    // the portal's two outages; eoffice was down only inside its maintenance window
    expect(jakarta).toMatchObject({
      downSeconds: (420 - 61 - 30 + 20) * MIN,
      targetCount: 3,
      affectedTargetCount: 1,
    });
  });

  it("lists the targets in the order they came back up, with their figures' own times", () => {
    const order = (report: IncidentReport) =>
      report.restoration.targets.map((t) => [t.targetId, t.restoredAt]);
    expect(order(withConfig)).toEqual([
      ["autogate-cgk", m(300)],
      ["passport-cgk", m(310)],
      ["simkim-core", m(420)],
      ["autogate-dps", m(480)],
      ["passport-dps", m(500)],
      ["portal", null],
    ]);
    // without the config eoffice's outage is not maintenance: it was down, and came back
    expect(order(withoutConfig)).toContainEqual(["eoffice", m(630)]);
    for (const report of [withConfig, withoutConfig]) {
      for (const target of report.restoration.targets) {
        const figures = report.numbers.targets.find((t) => t.targetId === target.targetId);
        expect([target.downSeconds, target.degradedSeconds]).toEqual([
          figures?.downSeconds,
          figures?.degradedSeconds,
        ]);
      }
    }
  });
});

const identity = (targetId: string, site: string) => ({
  instance: "i",
  targetId,
  service: "s",
  site,
});

const history = (
  targetId: string,
  site: string,
  steps: [number, TargetState][],
): TargetHistory => ({
  identity: identity(targetId, site),
  history: { at: steps.map(([minute]) => m(minute)), to: steps.map(([, state]) => state) },
});

describe("restorationOrder", () => {
  const window = { since: m(0), until: m(100) };
  const nothingExcluded = () => [];

  it("leaves out targets and sites never down or degraded", () => {
    const order = restorationOrder(
      [history("a", "x", [[-5, "up"]]), history("b", "y", [[10, "up"]])],
      window,
      nothingExcluded,
    );
    expect(order).toEqual({ targets: [], sites: [] });
  });

  it("does not call a removed target back up, nor its site while another is degraded", () => {
    const order = restorationOrder(
      [
        history("removed", "x", [
          [-5, "up"],
          [10, "down"],
          [20, "unknown"],
        ]),
        history("manual", "y", [
          [-5, "up"],
          [30, "degraded"],
        ]),
        history("back", "y", [
          [-5, "down"],
          [40, "up"],
        ]),
      ],
      window,
      nothingExcluded,
    );
    expect(order.targets.map((t) => [t.targetId, t.restoredAt, t.endState])).toEqual([
      ["back", m(40), "up"],
      ["removed", null, "unknown"],
      ["manual", null, "degraded"],
    ]);
    expect(order.sites.map((s) => [s.site, s.restoredAt, s.endState])).toEqual([
      ["x", null, "unknown"],
      ["y", null, "degraded"],
    ]);
    expect(order.sites[1]).toMatchObject({ downSeconds: 40 * MIN, degradedSeconds: 70 * MIN });
  });

  it("counts only the time outside what its target's figures leave out", () => {
    const order = restorationOrder(
      [
        history("a", "x", [
          [10, "down"],
          [50, "up"],
        ]),
      ],
      window,
      () => [
        { start: m(0), end: m(15) },
        { start: m(20), end: m(25) },
        { start: m(45), end: m(60) },
      ],
    );
    expect(order.targets[0]).toMatchObject({ downSeconds: 25 * MIN, restoredAt: m(50) });
  });
});

describe("unionLengthMs", () => {
  it.each([
    [[], 0],
    [[[]], 0],
    [[[0, 10]], 10],
    [
      [
        [0, 10],
        [10, 20],
      ],
      20,
    ],
    [
      [
        [0, 10],
        [2, 5],
      ],
      10,
    ],
    [
      [
        [5, 15, 20, 30],
        [0, 10],
      ],
      25,
    ],
    [
      [
        [0, 1, 4, 5],
        [2, 3],
        [1, 2, 6, 7],
        [3, 4],
      ],
      6,
    ],
    [
      [
        [0, 10, 20, 30, 40, 50],
        [5, 45],
      ],
      50,
    ],
  ])("of %j is %d", (lists, length) => {
    const values: number[] = [];
    const bounds = [0];
    for (const list of lists as number[][]) {
      values.push(...list);
      bounds.push(values.length);
    }
    expect(unionLengthMs({ values, bounds })).toBe(length);
  });
});
