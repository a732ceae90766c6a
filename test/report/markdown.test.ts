import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IncidentReport, readIncident } from "../../src/ledger/figures/incident.js";
import type { OutageFacts } from "../../src/ledger/figures/outage-facts.js";
import { renderIncidentHtml } from "../../src/report/html.js";
import { escapeMarkdown, renderIncidentMarkdown } from "../../src/report/markdown.js";
import { percent } from "../../src/text/numbers.js";
import { expectGolden, lineDiff } from "./golden.js";
import {
  buildIncidentLedger,
  type IncidentLedger,
  MAINTENANCE_WINDOWS,
  m,
  NOW,
  TARGET_COUNT,
  WINDOW,
} from "./incident-fixture.js";

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

describe("incident data", () => {
  it("summarises the incident", () => {
    const { summary } = withConfig;
    expect(summary.firstFailure?.targetId).toBe("simkim-core");
    expect(summary.firstFailure?.start).toBe(m(60));
    expect([summary.lastRecovery?.targetId, summary.lastRecovery?.end]).toEqual([
      "eoffice",
      m(630),
    ]);
    expect(summary.openAtEnd.map((o) => [o.targetId, o.start])).toEqual([["portal", m(700)]]);
    // [01:00, 08:00) + [10:00, 10:30) + [11:40, 12:00): the union, not the sum
    expect(summary.impactSeconds).toBe(7 * 3600 + 1800 + 1200);
    expect(summary.affectedTargetCount).toBe(5);
    expect(summary.degradedTargetCount).toBe(2);
    expect([summary.longest?.targetId, summary.longest?.durationSeconds]).toEqual([
      "autogate-dps",
      (480 - 63) * 60,
    ]);
  });

  it("names the outages open at a window's end, whether they closed later or never", async () => {
    let closedLater = 0;
    for (const until of [m(64), m(300), m(420), m(479), m(480), m(700), NOW]) {
      const report = await readIncident(fixture.ledger, { ...WINDOW, until }, NOW, null);
      // the records spanning the end, read the plain way: one range over every outage
      const spanning = (await fixture.ledger.outages({ since: until - 1, until })).filter(
        (outage) => outage.end === null || outage.end > until,
      );
      expect(
        report.summary.openAtEnd.map((o) => o.id),
        `until ${until}`,
      ).toEqual(spanning.map((o) => o.id));
      closedLater += spanning.filter((outage) => outage.end !== null).length;
    }
    expect(closedLater).toBeGreaterThan(3);
  });

  it("names each gap the monitor was not watching", () => {
    expect(withConfig.gaps).toEqual([
      { instance: "jakarta-1", kind: "blind", start: m(120), end: m(135) },
      { instance: "jakarta-1", kind: "restart", start: m(200), end: m(215) },
    ]);
  });

  it("splits a blocked outage where its dependency recovered", () => {
    const dps = withConfig.timeline.find((row) => row.targetId === "autogate-dps");
    const outage = dps?.spans.filter((span) => span.kind === "blocked" || span.kind === "down");
    expect(outage).toEqual([
      {
        kind: "blocked",
        start: m(63),
        end: m(420),
        note: "blocked by simkim-core; refused: ECONNREFUSED",
      },
      { kind: "down", start: m(420), end: m(480), note: "on its own after simkim-core recovered" },
    ]);
  });

  it("leaves the config's maintenance out of availability", () => {
    const eoffice = (report: IncidentReport) =>
      report.numbers.targets.find((target) => target.targetId === "eoffice");
    expect(eoffice(withConfig)?.maintenanceSeconds).toBe(45 * 60);
    expect(eoffice(withConfig)?.availability).toBe(1);
    expect(eoffice(withoutConfig)?.maintenanceSeconds).toBe(0);
    expect(eoffice(withoutConfig)?.downSeconds).toBe(30 * 60);
    expect(withConfig.numbers.total.targetCount).toBe(TARGET_COUNT);
  });

  it("shows maintenance from the outages' flags without a config", () => {
    const spans = (report: IncidentReport) =>
      report.timeline.flatMap((row) =>
        row.spans
          .filter((s) => s.kind === "maintenance")
          .map((s) => [row.targetId, s.start, s.end]),
      );
    expect(spans(withConfig)).toEqual([["eoffice", m(600), m(645)]]);
    expect(spans(withoutConfig)).toEqual([["eoffice", m(600), m(630)]]);
  });
});

describe("markdown report", () => {
  it("matches the golden file", () => {
    expectGolden("incident.md", renderIncidentMarkdown(withConfig));
  });

  it("says where maintenance comes from without a config", () => {
    const markdown = renderIncidentMarkdown(withoutConfig);
    expect(markdown).toContain("Maintenance windows are not in the ledger");
    expect(markdown).toContain(
      "| back-office | 1 | 95.652% | 30m | 0s | 30m | 0s | 1 | 30m | 30m |",
    );
  });

  it("reports a selection, and a quiet window", async () => {
    const query = { since: m(-100), until: m(50), service: "autogate" };
    const markdown = renderIncidentMarkdown(await readIncident(fixture.ledger, query, NOW, null));
    expect(markdown).toContain("for service autogate: 2 targets with a known state");
    expect(markdown).toContain("- No outages in the window.\n");
    expect(markdown).toContain("## Outages\n\nNo outages in the window.\n");
    expect(markdown).toContain("| autogate | 2 | 100.000% | 0s | 0s | 0s | 0s | 0 | 0s | - |");
    expect(markdown).not.toContain("simkim-core |");
  });

  it("bounds each outage's start and end by the probe before it, where the ledger has one", () => {
    const [first, second] = withConfig.outages;
    const outages = [
      // across midnight the bound keeps its date; an unknown bound is "-"
      { ...(first as OutageFacts), lastOkAt: m(-1) + 4_250, lastFailedAt: null },
      { ...(second as OutageFacts), lastOkAt: null },
    ];
    const markdown = renderIncidentMarkdown({ ...withConfig, outages });
    expect(markdown).toContain(
      "| target | last ok | start | last failed | end | duration | not observed | cause |",
    );
    expect(markdown).toContain(
      "| simkim-core | 2024-06-19T23:59:04.250Z | 2024-06-20T01:00:00.000Z | - | " +
        "2024-06-20T07:00:00.000Z | 6h |",
    );
    expect(markdown).toContain(
      "| portal | - | 2024-06-20T01:01:00.000Z | 06:59:30.000 | 2024-06-20T07:00:00.000Z |",
    );
  });

  it("escapes what markdown would read as markup", () => {
    expect(escapeMarkdown("a*b_c [x](y) <br> `z` \\")).toBe(
      "a\\*b\\_c \\[x\\](y) \\<br\\> \\`z\\` \\\\",
    );
  });

  it.each([
    [null, "n/a"],
    [1, "100.000%"],
    [0.9999996, "99.999%"],
    [0.29, "29.000%"],
    [1800 / 3300, "54.545%"],
    [0, "0.000%"],
  ])("shows availability %s as %s, never rounded up", (availability, text) => {
    expect(percent(availability)).toBe(text);
  });
});

describe("golden diff", () => {
  it("shows removed and added lines with their numbers", () => {
    expect(lineDiff("a\nb\nc\nd", "a\nc\nx\nd")).toBe(["-    2: b", "+    3: x"].join("\n"));
  });
});

describe("a report bounded by its limits", () => {
  const limits = { outages: 2, transitions: 3, timelineRows: 2 };
  let bounded: IncidentReport;

  beforeAll(async () => {
    bounded = await readIncident(fixture.ledger, WINDOW, NOW, MAINTENANCE_WINDOWS, limits);
  });

  it("keeps every figure and the summary exact", () => {
    expect(bounded.numbers).toEqual(withConfig.numbers);
    expect(bounded.summary).toEqual(withConfig.summary);
    expect(bounded.gaps).toEqual(withConfig.gaps);
  });

  it("lists the longest outages by start, and how many there are", () => {
    const longest = [...withConfig.outages]
      .sort((a, b) => b.durationSeconds - a.durationSeconds || a.start - b.start)
      .slice(0, 2)
      .sort((a, b) => a.start - b.start);
    expect(withConfig.outages.length).toBeGreaterThan(2);
    expect(bounded.outages).toEqual(longest);
    expect(bounded.outageCount).toBe(withConfig.outages.length);
  });

  it("lists the newest transitions, and how many there are", () => {
    expect(bounded.transitions).toEqual(withConfig.transitions.slice(-3));
    expect(bounded.transitionCount).toBe(withConfig.transitions.length);
  });

  it("draws the targets with the most outage time, in the timeline's order", () => {
    const most = [...withConfig.numbers.targets]
      .sort((a, b) => b.totalOutageSeconds - a.totalOutageSeconds)
      .slice(0, 2)
      .map((t) => t.targetId);
    expect(bounded.timeline.map((row) => row.targetId).sort()).toEqual([...most].sort());
    const full = withConfig.timeline.filter((row) => most.includes(row.targetId));
    expect(bounded.timeline).toEqual(full);
    expect(bounded.timelineTargetCount).toBe(TARGET_COUNT);
  });

  it("says so under each section", () => {
    const markdown = renderIncidentMarkdown(bounded);
    const outages = withConfig.outages.length;
    const transitions = withConfig.transitions.length;
    expect(markdown).toContain(
      `The 2 longest of ${outages} outages in the window, by start; pantau outages over the same range lists every one.`,
    );
    expect(markdown).toContain(
      `The newest 3 of ${transitions} transitions in the window; a shorter range or --target, --service or --site lists the others.`,
    );
    expect(renderIncidentMarkdown(withConfig)).not.toContain("longest of");
    expect(renderIncidentHtml(bounded)).toContain(
      `Shown: the 2 targets with the most outage time of ${TARGET_COUNT}.`,
    );
    expect(renderIncidentHtml(withConfig)).not.toContain("Shown:");
  });
});
