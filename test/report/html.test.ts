import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IncidentReport, readIncident } from "../../src/ledger/figures/incident.js";
import { renderIncidentHtml } from "../../src/report/html.js";
import { reportDocument } from "../../src/report/sections.js";
import { renderTimelineSvg } from "../../src/report/timeline-svg.js";
import { expectGolden } from "./golden.js";
import {
  buildIncidentLedger,
  type IncidentLedger,
  MAINTENANCE_WINDOWS,
  NOW,
  TARGET_COUNT,
  WINDOW,
} from "./incident-fixture.js";

let fixture: IncidentLedger;
let incident: IncidentReport;
let html: string;

beforeAll(async () => {
  fixture = await buildIncidentLedger();
  incident = await readIncident(fixture.ledger, WINDOW, NOW, MAINTENANCE_WINDOWS);
  html = renderIncidentHtml(incident);
});

afterAll(async () => {
  await fixture.cleanup();
});

/** The page's text as the sections say it: entities decoded, the `<time>` wrappers gone. */
const unescapeHtml = (text: string) =>
  text
    .replace(/<time datetime="[^"]*">([^<]*)<\/time>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

describe("html report", () => {
  it("matches the golden file", () => {
    expectGolden("incident.html", html);
  });

  it("is one self-contained page: no scripts, no external assets, a CSP that forbids them", () => {
    expect(html.startsWith("<!DOCTYPE html>\n")).toBe(true);
    expect(html).not.toMatch(/<script|<iframe|<object|<embed|<img|@import/i);
    // every src/href is a data: URL; the only http address is the SVG namespace
    expect(html).not.toMatch(/\s(?:src|href)="(?!data:)/);
    expect(html.match(/https?:\/\/[^\s"]+/g)).toEqual(["http://www.w3.org/2000/svg"]);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    );
  });

  it("embeds the timeline once, after the summary, with one row per target", () => {
    const svg = renderTimelineSvg(incident.timeline, incident.window, incident.monitorTimeline);
    expect(html).toContain(`<div class="timeline-scroll">\n${svg.trimEnd()}\n</div>`);
    expect(html.match(/<svg /g)).toHaveLength(1);
    expect(html.match(/data-target="/g)).toHaveLength(TARGET_COUNT);
    const order = ["summary", "timeline", "services", "sites", "targets", "outages", "gaps"];
    const positions = order.map((id) => html.indexOf(`<section id="${id}">`));
    expect(positions.every((at) => at > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("keeps every time whole: each in a <time> that does not wrap", () => {
    const times = [...html.matchAll(/<time datetime="([^"]+)">([^<]+)<\/time>/g)];
    expect(times.length).toBeGreaterThan(40);
    expect(times.every(([, datetime, shown]) => datetime === shown)).toBe(true);
    expect(html).toContain("time { white-space: nowrap; }");
    // outside the picture (whose text never wraps), no time is left bare
    const body = html.slice(html.indexOf("<body>"));
    const text = (
      body.slice(0, body.indexOf("<svg ")) + body.slice(body.indexOf("</svg>"))
    ).replace(/<time[^>]*>[^<]*<\/time>/g, "");
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  });

  it("says what the markdown says: every paragraph, item and table cell", () => {
    const document = reportDocument(incident);
    const text = unescapeHtml(html);
    expect(text).toContain(`<h1>${document.title}</h1>`);
    for (const section of document.sections) {
      expect(text).toContain(`<h2>${section.heading}</h2>`);
      for (const line of [...section.paragraphs, ...section.items]) expect(text).toContain(line);
      const columns = section.table?.columns ?? [];
      for (const row of section.table?.rows ?? []) {
        const cells = row.map((cell, index) => {
          const column = columns[index];
          const kind = column?.alignRight ? ' class="num"' : column?.shrink ? ' class="text"' : "";
          return `<td${kind}>${cell}</td>`;
        });
        expect(text).toContain(`<tr>${cells.join("")}</tr>`);
      }
    }
  });
});
