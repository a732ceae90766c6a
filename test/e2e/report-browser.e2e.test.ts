import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportCommand } from "../../src/cli/report.js";
import { readIncident } from "../../src/report/incident.js";
import { renderTimelineSvg } from "../../src/report/timeline-svg.js";
import {
  buildIncidentLedger,
  type IncidentLedger,
  NOW,
  TARGET_COUNT,
  WINDOW,
} from "../report/incident-fixture.js";

/**
 * The html report of the June 2024 incident ledger, opened in Debian's real chromium (installed
 * by scripts/e2e-setup.sh): it loads nothing, logs no error, draws one timeline row per target
 * without overlapping text, and leaves screenshots in test/artifacts/ for people to look at.
 */

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../artifacts/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pantau-report-browser-"));
const file = join(dir, "report.html");

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
  await command.parseAsync(
    [
      "--db",
      fixture.path,
      "--since",
      "2024-06-20T00:00:00Z",
      "--until",
      "2024-06-20T12:00:00Z",
    ].concat(["--format", "html", "--out", file]),
    { from: "user" },
  );
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
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
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
    for (const [index, label] of labels.entries()) {
      expect(label.x + label.width).toBeLessThan((lanes[index] as Box).x);
    }
  });

  it("serves the timeline as well-formed standalone SVG", async () => {
    const incident = await readIncident(fixture.ledger, WINDOW, NOW, null);
    const svg = renderTimelineSvg(incident.timeline, incident.window);
    const errors = await page.evaluate((text) => {
      // the browser's DOMParser; tsconfig has no DOM lib, so its shape is spelled out here
      const { DOMParser } = globalThis as unknown as { DOMParser: new () => XmlParser };
      const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
      return parsed.getElementsByTagName("parsererror").length;
    }, svg);
    expect(errors).toBe(0);
  });

  it("writes screenshots to test/artifacts/", async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const full = join(ARTIFACTS, "report.png");
    const timeline = join(ARTIFACTS, "report-timeline.png");
    await page.screenshot({ path: full, fullPage: true });
    await page.locator("svg.pantau-timeline").screenshot({ path: timeline });
    for (const path of [full, timeline]) {
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).size).toBeGreaterThan(10_000);
      expect(readFileSync(path).subarray(1, 4).toString("latin1")).toBe("PNG");
    }
  });
});
