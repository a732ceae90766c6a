import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IncidentReport, readIncident } from "../../src/ledger/figures/incident.js";
import type { TimelineRow } from "../../src/ledger/figures/timeline-rows.js";
import { axisStep, axisTicks, MIN_TICKS } from "../../src/report/timeline-axis.js";
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
  svg = renderTimelineSvg(incident.timeline, incident.window, incident.monitorTimeline);
});

afterAll(async () => {
  await fixture.cleanup();
});

const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;

describe("timeline svg", () => {
  it("matches the golden file", () => {
    expectGolden("timeline.svg", svg);
  });

  it("draws the monitor's row, then one row per target grouped by service", () => {
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
    expect(count(svg, /class="group-monitor"/g)).toBe(1);
    expect(count(svg, /<g class="monitor-row" data-instance="jakarta-1">/g)).toBe(1);
    expect(svg.indexOf('class="monitor-row"')).toBeLessThan(svg.indexOf('class="target-row"'));
    // each target is labelled with its site
    expect(svg).toContain('>autogate-dps<tspan fill="#555555"> · dps</tspan></text>');
  });

  it("is an accessible image with a legend and no scripts or links", () => {
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" role="img" aria-label="Timeline of 8 targets, /,
    );
    for (const label of [
      "up",
      "degraded",
      "down",
      "down, blocked by a dependency",
      "maintenance",
      "not observed",
    ]) {
      expect(svg).toContain(`>${label}</text>`);
    }
    expect(svg).not.toMatch(/<script|href=|<image|<foreignObject|@import/);
    expect(svg).not.toMatch(/url\((?!#pantau-)/);
  });

  it("uses the Okabe–Ito colours, hatching blocked and not observed", () => {
    expect(COLOURS).toMatchObject({
      up: "#009E73",
      down: "#D55E00",
      degraded: "#E69F00",
      maintenance: "#56B4E9",
    });
    expect(svg).toContain('data-kind="blocked" x=');
    expect(svg).toMatch(/data-kind="blocked"[^>]*fill="url\(#pantau-blocked\)"/);
    expect(svg).toMatch(/data-kind="unobserved"[^>]*fill="url\(#pantau-unobserved\)"/);
    // up: one thin line per row, drawn where the ledger says up
    expect(svg).toMatch(/<path class="span" data-kind="up" d="M[^"]+" stroke="#009E73"/);
  });

  it("gives every span a tooltip with target, state, start, end and duration", () => {
    expect(svg).toContain(
      "<title>autogate-dps: down (on its own after simkim-core recovered), " +
        "2024-06-20T07:00:00.000Z to 2024-06-20T08:00:00.000Z, 1h</title>",
    );
    const spans = count(svg, /<rect class="span"/g);
    const rows = [...incident.monitorTimeline, ...incident.timeline];
    const notUp = rows.flatMap((row) => row.spans.filter((span) => span.kind !== "up"));
    expect(spans).toBe(notUp.length);
    // up spans: one path per row, a segment each
    const up = rows.flatMap((row) => row.spans.filter((span) => span.kind === "up"));
    expect(count(svg, /<path class="span" data-kind="up"/g)).toBe(rows.length);
    expect(count(svg, /M[\d.]+ [\d.]+h[\d.]+/g)).toBe(up.length);
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
    expect(text).toContain(">portal @ surabaya-1<tspan");
  });
});

describe("time axis", () => {
  const SECOND = 1000;
  const MINUTE = 60_000;

  it.each([
    ["10 seconds", 10 * SECOND, 2 * SECOND],
    ["1 minute", MINUTE, 10 * SECOND],
    ["1 hour", HOUR, 10 * MINUTE],
    ["12 hours", 12 * HOUR, 2 * HOUR],
    ["14 hours", 14 * HOUR, 2 * HOUR],
    ["24 hours", DAY, 4 * HOUR],
    ["7 days", 7 * DAY, DAY],
    ["30 days", 30 * DAY, 4 * DAY],
    ["a year", 365 * DAY, 56 * DAY],
  ])("steps %s by the largest round amount giving five ticks", (_, length, step) => {
    expect(axisStep({ since: T0, until: T0 + length })).toBe(step);
  });

  it.each([
    5 * SECOND,
    7 * SECOND,
    47 * SECOND,
    5 * MINUTE,
    59 * MINUTE,
    3 * HOUR + 7 * MINUTE,
    25 * HOUR,
    2 * DAY + 1,
    19 * DAY,
    90 * DAY,
    3 * 365 * DAY,
  ])("puts 5 to 10 ticks across a window of %d ms, wherever it starts", (length) => {
    for (const offset of [0, 1, 13 * SECOND + 7, 5 * HOUR + 3 * MINUTE, 3 * DAY + 1]) {
      const since = T0 + offset;
      const ticks = axisTicks({ since, until: since + length });
      expect(ticks.length, `from +${offset}`).toBeGreaterThanOrEqual(MIN_TICKS);
      expect(ticks.length, `from +${offset}`).toBeLessThanOrEqual(2 * MIN_TICKS);
    }
  });

  it("labels seconds when the step is under a minute", () => {
    const ticks = axisTicks({ since: T0, until: T0 + MINUTE });
    expect(ticks.map((tick) => tick.label)).toEqual([
      "00:00:00",
      "00:00:10",
      "00:00:20",
      "00:00:30",
      "00:00:40",
      "00:00:50",
      "00:01:00",
    ]);
  });

  it("labels hours, with the date where the day changes", () => {
    const ticks = axisTicks({ since: T0 - 5 * HOUR + 60_000, until: T0 + 4 * HOUR });
    expect(ticks.map((tick) => [tick.label, tick.sublabel])).toEqual([
      ["20:00", "2024-06-19"],
      ["21:00", null],
      ["22:00", null],
      ["23:00", null],
      ["00:00", "2024-06-20"],
      ["01:00", null],
      ["02:00", null],
      ["03:00", null],
      ["04:00", null],
    ]);
  });

  it("labels days, with the year where it changes", () => {
    const since = Date.UTC(2024, 11, 29, 12);
    const ticks = axisTicks({ since, until: since + 6 * DAY });
    expect(ticks.map((tick) => [tick.label, tick.sublabel])).toEqual([
      ["12-30", "2024"],
      ["12-31", null],
      ["01-01", "2025"],
      ["01-02", null],
      ["01-03", null],
      ["01-04", null],
    ]);
  });
});
