import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IncidentReport, readIncident } from "../../src/report/incident.js";
import type { TimelineRow } from "../../src/report/timeline.js";
import { axisStep, axisTicks } from "../../src/report/timeline-axis.js";
import { COLOURS, renderTimelineSvg } from "../../src/report/timeline-svg.js";
import { expectGolden } from "./golden.js";
import {
  buildIncidentLedger,
  type IncidentLedger,
  MAINTENANCE_WINDOWS,
  m,
  NOW,
  T0,
  TARGET_COUNT,
  WINDOW,
} from "./incident-fixture.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let fixture: IncidentLedger;
let incident: IncidentReport;
let svg: string;

beforeAll(async () => {
  fixture = await buildIncidentLedger();
  incident = await readIncident(fixture.ledger, WINDOW, NOW, MAINTENANCE_WINDOWS);
  svg = renderTimelineSvg(incident.timeline, incident.window);
});

afterAll(async () => {
  await fixture.cleanup();
});

const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

describe("timeline svg", () => {
  it("matches the golden file", () => {
    expectGolden("timeline.svg", svg);
  });

  it("draws one row per target, grouped by service then site", () => {
    expect(count(svg, /<g class="target-row" data-target="/g)).toBe(TARGET_COUNT);
    const rows = [...svg.matchAll(/data-target="([^"]+)"/g)].map((match) => match[1]);
    expect(rows).toEqual([
      "autogate-cgk",
      "autogate-dps",
      "eoffice",
      "simkim-core",
      "portal",
      "visa-api",
      "passport-cgk",
      "passport-dps",
    ]);
    expect(count(svg, /class="group-service"/g)).toBe(5);
    expect(count(svg, /class="group-site"/g)).toBe(7);
  });

  it("is an accessible image with a legend and no scripts or links", () => {
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" role="img" aria-label="Timeline of 8 targets, /,
    );
    for (const label of [
      "down",
      "down, blocked by a dependency",
      "degraded",
      "maintenance",
      "monitor not watching",
    ]) {
      expect(svg).toContain(`>${label}</text>`);
    }
    expect(svg).not.toMatch(/<script|href=|<image|<foreignObject|@import/);
    expect(svg).not.toMatch(/url\((?!#pantau-)/);
  });

  it("uses the Okabe–Ito colours, hatching blocked and blind", () => {
    expect(COLOURS).toMatchObject({
      down: "#D55E00",
      degraded: "#E69F00",
      maintenance: "#56B4E9",
      blind: "#999999",
    });
    expect(svg).toContain('data-kind="blocked" x=');
    expect(svg).toMatch(/data-kind="blocked"[^>]*fill="url\(#pantau-blocked\)"/);
    expect(svg).toMatch(/data-kind="blind"[^>]*fill="url\(#pantau-blind\)"/);
  });

  it("gives every span a tooltip with target, state, start, end and duration", () => {
    expect(svg).toContain(
      "<title>autogate-dps: down (on its own after simkim-core recovered), " +
        "2024-06-20T07:00:00.000Z to 2024-06-20T08:00:00.000Z, 1h</title>",
    );
    const spans = count(svg, /<rect class="span"/g);
    expect(spans).toBe(incident.timeline.reduce((sum, row) => sum + row.spans.length, 0));
    expect(count(svg, /<rect class="span"[^>]*><title>[^<]+<\/title><\/rect>/g)).toBe(spans);
  });

  it("escapes names", () => {
    const row: TimelineRow = {
      instance: "i",
      targetId: "a",
      service: `<script>alert("x")</script> & co`,
      site: "o'hare",
      spans: [{ kind: "down", start: m(10), end: m(20), note: "HTTP <503>" }],
    };
    const text = renderTimelineSvg([row], WINDOW);
    expect(text).toContain("service &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co");
    expect(text).toContain('data-site="o&apos;hare"');
    expect(text).toContain("(HTTP &lt;503&gt;)");
    expect(text).not.toContain("<script>");
  });

  it("still draws the axis and legend with no targets", () => {
    const text = renderTimelineSvg([], WINDOW);
    expect(text).toContain("No targets with a known state in the window.");
    expect(text).toContain(">12:00</text>");
    expect(text).not.toContain("data-target");
  });

  it("labels a target with its instance when several instances are shown", () => {
    const row = (instance: string): TimelineRow => ({
      instance,
      targetId: "portal",
      service: "s",
      site: "x",
      spans: [],
    });
    const text = renderTimelineSvg([row("jakarta-1"), row("surabaya-1")], WINDOW);
    expect(text).toContain(">portal @ surabaya-1<title>");
  });
});

describe("time axis", () => {
  it.each([
    ["1 hour", HOUR, 10 * 60_000],
    ["12 hours", 12 * HOUR, 2 * HOUR],
    ["24 hours", DAY, 3 * HOUR],
    ["7 days", 7 * DAY, DAY],
    ["30 days", 30 * DAY, 7 * DAY],
    ["a year", 365 * DAY, 56 * DAY],
  ])("steps %s by a round amount", (_, length, step) => {
    expect(axisStep({ since: T0, until: T0 + length }, 10)).toBe(step);
  });

  it("labels hours, with the date where the day changes", () => {
    const ticks = axisTicks({ since: T0 - 5 * HOUR + 60_000, until: T0 + 4 * HOUR }, 3);
    expect(ticks.map((tick) => [tick.label, tick.sublabel])).toEqual([
      ["21:00", "2024-06-19"],
      ["00:00", "2024-06-20"],
      ["03:00", null],
    ]);
  });

  it("labels days, with the year where it changes", () => {
    const since = Date.UTC(2024, 11, 30, 12);
    const ticks = axisTicks({ since, until: since + 4 * DAY }, 4);
    expect(ticks.map((tick) => [tick.label, tick.sublabel])).toEqual([
      ["12-31", "2024"],
      ["01-01", "2025"],
      ["01-02", null],
      ["01-03", null],
    ]);
  });
});
