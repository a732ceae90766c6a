import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportCommand } from "../../src/cli/report.js";
import { readIncident } from "../../src/ledger/figures/incident.js";
import { renderTimelineSvg } from "../../src/report/timeline-svg.js";
import {
  buildIncidentLedger,
  type IncidentLedger,
  m,
  NOW,
  TARGET_COUNT,
} from "../report/incident-fixture.js";

/**
 * The html report of the June 2024 incident ledger over its default window (from the ledger's
 * first observation to now), opened in Debian's real chromium (installed by
 * scripts/e2e-setup.sh) at a desktop's 1400 px and a phone's 390 px: it loads nothing, logs no
 * error, draws one timeline row per target without overlapping text, shows what was not
 * observed as such, keeps times whole and the page within a phone's width (only the timeline
 * scrolls), and leaves screenshots in test/artifacts/ for people to look at.
 */

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../artifacts/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pantau-report-browser-"));
const file = join(dir, "report.html");
/** The default window: from the first run (m(-120)) to now, as the page shows it. */
const WINDOW = { since: m(-120), until: NOW };
const DESKTOP = 1400;
const PHONE = 390;

let fixture: IncidentLedger;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

beforeAll(async () => {
  fixture = await buildIncidentLedger();
  const command = reportCommand({
    io: { out: () => {}, err: (text) => problems.push(text), setExitCode: () => {} },
    now: () => NOW,
  });
  await command.parseAsync(["--db", fixture.path, "--format", "html", "--out", file], {
    from: "user",
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: DESKTOP, height: 900 } });
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()}`));
  page.on("request", (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
});

afterAll(async () => {
  await browser?.close();
  await fixture?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

interface XmlParser {
  parseFromString(
    text: string,
    type: string,
  ): {
    getElementsByTagName(name: string): { length: number };
  };
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

async function boxes(selector: string): Promise<Box[]> {
  return page.locator(selector).evaluateAll((elements) =>
    elements.map((element) => {
      const { x, y, width, height } = element.getBoundingClientRect();
      return { x, y, width, height };
    }),
  );
}

function expectDisjoint(found: readonly Box[], what: string): void {
  for (const [index, box] of found.entries()) {
    for (const other of found.slice(index + 1)) {
      expect(overlaps(box, other), `${what} overlap: ${JSON.stringify([box, other])}`).toBe(false);
    }
  }
}

describe("the html report in chromium", () => {
  it("loads nothing but itself and logs no error", () => {
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);
  });

  it("draws exactly one timeline row per target, in the report's order", async () => {
    const rows = page.locator("svg.pantau-timeline g[data-target]");
    expect(await rows.count()).toBe(TARGET_COUNT);
    const incident = await readIncident(fixture.ledger, WINDOW, NOW, null);
    const targets = await rows.evaluateAll((elements) =>
      elements.map((element) => element.getAttribute("data-target")),
    );
    expect(targets).toEqual(incident.timeline.map((row) => row.targetId));
    const rowBoxes = await boxes("svg.pantau-timeline g[data-target] > text");
    expectDisjoint(rowBoxes, "row labels");
    expect(rowBoxes.every((box) => box.width > 0 && box.height > 0)).toBe(true);
  });

  it("keeps labels, legend and axis readable: nothing overlaps, everything inside the picture", async () => {
    const svg = await boxes("svg.pantau-timeline");
    const picture = svg[0] as Box;
    const legend = await boxes("svg.pantau-timeline .legend text");
    const ticks = await boxes("svg.pantau-timeline .axis text");
    const headers = await boxes(
      "svg.pantau-timeline .group-service, svg.pantau-timeline .group-site",
    );
    expect(legend).toHaveLength(6);
    expectDisjoint(legend, "legend entries");
    expectDisjoint(ticks, "axis labels");
    expectDisjoint(
      [...headers, ...(await boxes("svg.pantau-timeline g[data-target] > text"))],
      "headers",
    );
    for (const box of [...legend, ...ticks, ...headers]) {
      expect(box.x).toBeGreaterThanOrEqual(picture.x);
      expect(box.x + box.width).toBeLessThanOrEqual(picture.x + picture.width);
    }
    // target labels end before their lane starts
    const labels = await boxes("svg.pantau-timeline g[data-target] > text");
    const lanes = await boxes("svg.pantau-timeline g[data-target] > rect:not(.span)");
    expect(lanes).toHaveLength(labels.length);
    for (const [index, label] of labels.entries()) {
      expect(label.x + label.width).toBeLessThan((lanes[index] as Box).x);
    }
  });

  it("serves the timeline as well-formed standalone SVG", async () => {
    const incident = await readIncident(fixture.ledger, WINDOW, NOW, null);
    const svg = renderTimelineSvg(incident.timeline, incident.window, incident.monitorTimeline);
    const errors = await page.evaluate((text) => {
      // the browser's DOMParser; tsconfig has no DOM lib, so its shape is spelled out here
      const { DOMParser } = globalThis as unknown as { DOMParser: new () => XmlParser };
      const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
      return parsed.getElementsByTagName("parsererror").length;
    }, svg);
    expect(errors).toBe(0);
  });

  it("covers the default window: from the ledger's first observation to now", async () => {
    expect(await page.locator("h1").textContent()).toBe(
      "Incident report: 2024-06-19T22:00:00.000Z to 2024-06-20T12:00:00.000Z",
    );
  });

  it("draws what was not observed as its own kind: the monitor's gaps and unknown time", async () => {
    const monitor = page.locator("svg.pantau-timeline g.monitor-row");
    expect(await monitor.count()).toBe(1);
    expect(await monitor.locator('rect[data-kind="unobserved"]').count()).toBe(2);
    // every target: the 20 minutes before its first verdict, the blind and the restart gap
    const rows = page.locator("svg.pantau-timeline g.target-row");
    for (let index = 0; index < TARGET_COUNT; index++) {
      const row = rows.nth(index);
      expect(await row.locator('rect[data-kind="unobserved"]').count()).toBe(3);
    }
    const legend = page.locator('svg.pantau-timeline .legend-item[data-kind="unobserved"]');
    expect((await legend.textContent())?.trim()).toBe("not observed");
  });

  it("has at least five ticks across the time axis", async () => {
    const ticks = await page.locator("svg.pantau-timeline .axis text.tick").allTextContents();
    expect(ticks.length).toBeGreaterThanOrEqual(5);
    expect(ticks).toEqual(["22:00", "00:00", "02:00", "04:00", "06:00", "08:00", "10:00", "12:00"]);
  });

  it("at a phone's width, keeps the page within it: only the timeline scrolls, unshrunk", async () => {
    await page.setViewportSize({ width: PHONE, height: 800 });
    try {
      const widths = await page.evaluate(() => {
        const { document } = globalThis as unknown as { document: PageDocument };
        const scroller = document.querySelector(".timeline-scroll");
        const svg = document.querySelector("svg.pantau-timeline");
        return {
          page: document.documentElement.scrollWidth,
          viewport: document.documentElement.clientWidth,
          scroller: scroller?.clientWidth ?? 0,
          scrolled: scroller?.scrollWidth ?? 0,
          svg: svg?.getBoundingClientRect().width ?? 0,
        };
      });
      expect(widths.page).toBeLessThanOrEqual(widths.viewport);
      expect(widths.viewport).toBe(PHONE);
      expect(widths.svg).toBe(960);
      expect(widths.scrolled).toBeGreaterThan(widths.scroller);
    } finally {
      await page.setViewportSize({ width: DESKTOP, height: 900 });
    }
  });

  it("never breaks a time across lines, at either width", async () => {
    for (const width of [DESKTOP, PHONE]) {
      await page.setViewportSize({ width, height: 800 });
      const lines = await page
        .locator("time")
        .evaluateAll((elements) => elements.map((element) => element.getClientRects().length));
      expect(lines.length).toBeGreaterThan(50);
      expect(
        lines.filter((count) => count !== 1),
        `at ${width} px`,
      ).toEqual([]);
    }
    await page.setViewportSize({ width: DESKTOP, height: 900 });
  });

  it("writes screenshots at both widths to test/artifacts/", async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const shots = [
      join(ARTIFACTS, `report-${DESKTOP}.png`),
      join(ARTIFACTS, "report-timeline.png"),
      join(ARTIFACTS, `report-${PHONE}.png`),
    ];
    await page.screenshot({ path: shots[0], fullPage: true });
    await page.locator("svg.pantau-timeline").screenshot({ path: shots[1] });
    await page.setViewportSize({ width: PHONE, height: 800 });
    try {
      await page.screenshot({ path: shots[2], fullPage: true });
    } finally {
      await page.setViewportSize({ width: DESKTOP, height: 900 });
    }
    for (const path of shots) {
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).size).toBeGreaterThan(10_000);
      expect(readFileSync(path).subarray(1, 4).toString("latin1")).toBe("PNG");
    }
  });
});

/** The little of the DOM the page checks read (tsconfig has no DOM lib). */
interface PageDocument {
  documentElement: { scrollWidth: number; clientWidth: number };
  querySelector(selector: string): {
    clientWidth: number;
    scrollWidth: number;
    getBoundingClientRect(): { width: number };
  } | null;
}
