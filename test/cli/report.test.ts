import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReportDeps, reportCommand } from "../../src/cli/report.js";
import type { ConfigLoadResult } from "../../src/config/load.js";
import type { Config } from "../../src/config/types.js";
import { readIncident } from "../../src/ledger/figures/incident.js";
import { renderIncidentHtml } from "../../src/report/html.js";
import { renderIncidentMarkdown } from "../../src/report/markdown.js";
import {
  buildIncidentLedger,
  type IncidentLedger,
  MAINTENANCE_WINDOWS,
  NOW,
  WINDOW,
} from "../report/incident-fixture.js";
import { pantauMain } from "../support/built-cli.js";
import { type InProcessRun, runInProcess } from "../support/cli.js";

const RANGE = ["--since", "2024-06-20T00:00:00Z", "--until", "2024-06-20T12:00:00Z"];

type CliResult = InProcessRun;

async function run(args: string[], deps: Partial<ReportDeps> = {}): Promise<CliResult> {
  return runInProcess(
    "report",
    (io) =>
      reportCommand({
        io,
        now: () => NOW,
        loadConfig: () => Promise.reject(new Error("no --config expected")),
        ...deps,
      }),
    args,
  );
}

let fixture: IncidentLedger;
let db: string[];
let dir: string;
let markdown: string;
let markdownWithWindows: string;
let html: string;

beforeAll(async () => {
  fixture = await buildIncidentLedger();
  db = ["--db", fixture.path];
  dir = mkdtempSync(join(tmpdir(), "pantau-report-cli-"));
  const withoutConfig = await readIncident(fixture.ledger, WINDOW, NOW, null);
  markdown = renderIncidentMarkdown(withoutConfig);
  html = renderIncidentHtml(withoutConfig);
  const withConfig = await readIncident(fixture.ledger, WINDOW, NOW, MAINTENANCE_WINDOWS);
  markdownWithWindows = renderIncidentMarkdown(withConfig);
});

afterAll(async () => {
  await fixture.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const configWith = (storage: Partial<Config["storage"]>): ConfigLoadResult => ({
  ok: true,
  config: {
    storage: { path: null, url: null, heartbeat: 5000, ...storage },
    maintenance: MAINTENANCE_WINDOWS,
  } as Config,
});

describe("pantau report: output", () => {
  it("writes markdown to stdout by default", async () => {
    expect(await run([...db, ...RANGE])).toEqual({ code: 0, out: markdown, err: "" });
  });

  it("writes html with --format html", async () => {
    expect(await run([...db, ...RANGE, "--format", "html"])).toEqual({
      code: 0,
      out: html,
      err: "",
    });
  });

  it("starts at the ledger's first observation without --since, not 24 hours before it", async () => {
    const { code, out } = await run(db);
    expect(code).toBe(0);
    // the first run started at 22:00, 14 hours before now
    expect(out.split("\n")[0]).toBe(
      "# Incident report: 2024-06-19T22:00:00.000Z to 2024-06-20T12:00:00.000Z",
    );
    expect(out).toContain(
      "The window starts at the ledger's first observation, pantau's first run at 2024-06-19T22:00:00.000Z.",
    );
    const before = await run([...db, "--until", "2024-06-20T06:00:00Z"]);
    expect(before.out.split("\n")[0]).toBe(
      "# Incident report: 2024-06-19T22:00:00.000Z to 2024-06-20T06:00:00.000Z",
    );
  });

  it("covers the 24 hours before now without --since once the ledger is older", async () => {
    const { out } = await run(db, { now: () => NOW + 24 * 3_600_000 });
    expect(out.split("\n")[0]).toBe(
      "# Incident report: 2024-06-20T12:00:00.000Z to 2024-06-21T12:00:00.000Z",
    );
  });

  it("honours a --since before the first observation, and says the time before it was not observed", async () => {
    const { code, out } = await run([...db, "--since", "2024-06-19T20:00:00Z", "--format", "html"]);
    expect(code).toBe(0);
    expect(out).toContain(
      '<h1>Incident report: <time datetime="2024-06-19T20:00:00.000Z">2024-06-19T20:00:00.000Z</time>',
    );
    expect(out).toContain("the 2h of the window before it are not observed, and drawn so.");
    // each row starts not observed: pantau was not running, then no verdict until 22:20
    expect(out).toContain(
      "<title>simkim-core: not observed (pantau was not running yet), " +
        "2024-06-19T20:00:00.000Z to 2024-06-19T22:00:00.000Z, 2h</title>",
    );
    expect(out).toContain(
      "<title>simkim-core: not observed (unknown: no verdict yet), " +
        "2024-06-19T22:00:00.000Z to 2024-06-19T22:20:00.000Z, 20m</title>",
    );
    expect(out).toContain("<td>-</td><td>before the first run</td>");
    expect(out).not.toMatch(/simkim-core: up[^<]*2024-06-19T2[01]:/);
  });

  it("selects with --service, --site and --target", async () => {
    const { out } = await run([...db, ...RANGE, "--service", "autogate", "--site", "dps"]);
    expect(out).toContain("for service autogate, site dps: 1 target with a known state");
    expect(out).toContain("| autogate-dps | autogate | dps |");
    expect(out).not.toContain("autogate-cgk");
    const single = await run([...db, ...RANGE, "--target", "portal"]);
    expect(single.out).toContain("for target portal: 1 target");
  });

  it("takes md for markdown", async () => {
    const markdown = await run([...db, ...RANGE, "--format", "markdown"]);
    expect(markdown.code).toBe(0);
    expect(await run([...db, ...RANGE, "--format", "md"])).toEqual(markdown);
  });

  it.each([
    [
      ["--target", "portl"],
      'pantau report: --target: the ledger has no target "portl"; did you mean "portal"?\n',
    ],
    [["--target", "evisa"], 'pantau report: --target: the ledger has no target "evisa"\n'],
  ])("%j: a target the ledger never saw exits 1", async (args, err) => {
    expect(await run([...db, ...RANGE, ...args])).toEqual({ code: 1, out: "", err });
  });

  it("writes --out FILE and nothing to stdout; .html means html", async () => {
    const file = join(dir, "incident.html");
    expect(await run([...db, ...RANGE, "--out", file])).toEqual({ code: 0, out: "", err: "" });
    expect(readFileSync(file, "utf8")).toBe(html);
    const md = join(dir, "incident.md");
    expect((await run([...db, ...RANGE, "--out", md])).code).toBe(0);
    expect(readFileSync(md, "utf8")).toBe(markdown);
    const forced = join(dir, "forced.html");
    expect((await run([...db, ...RANGE, "--out", forced, "--format", "markdown"])).code).toBe(0);
    expect(readFileSync(forced, "utf8")).toBe(markdown);
  });

  it("takes the ledger and the maintenance windows from --config", async () => {
    const seen: string[] = [];
    const loadConfig = async (file: string) => {
      seen.push(file);
      return configWith({ path: fixture.path });
    };
    const result = await run([...RANGE, "--config", "pantau.yaml"], { loadConfig });
    expect(seen).toEqual(["pantau.yaml"]);
    expect(result).toEqual({ code: 0, out: markdownWithWindows, err: "" });
  });

  it("reads --db, and the windows from --config", async () => {
    const loadConfig = async () => configWith({ url: "postgres://db/pantau" });
    const result = await run([...db, ...RANGE, "--config", "pantau.yaml"], { loadConfig });
    expect(result).toEqual({ code: 0, out: markdownWithWindows, err: "" });
  });
});

describe("pantau report: bad flags exit 2 with one line naming the flag", () => {
  it.each([
    [
      ["--since", "yesterday"],
      'pantau report: --since: "yesterday" is not an RFC 3339 time or a relative duration like -24h\n',
    ],
    [
      ["--until", "2024-06-20T12:00"],
      'pantau report: --until: "2024-06-20T12:00" has no UTC offset: add Z or one like +07:00\n',
    ],
    [
      ["--since", "-1h", "--until", "-2h"],
      "pantau report: --since: 2024-06-20T11:00:00.000Z is not before until (2024-06-20T10:00:00.000Z)\n",
    ],
    [
      ["--target", "Portal"],
      'pantau report: --target: "Portal" is not a target id ([a-z0-9][a-z0-9._-]*)\n',
    ],
    [["--service", ""], "pantau report: --service: must be 1 to 128 characters long\n"],
    [["--site", "x".repeat(129)], "pantau report: --site: must be 1 to 128 characters long\n"],
    [["--format", "pdf"], 'pantau report: --format: "pdf" is not one of markdown, html\n'],
    [
      ["--format", "htm"],
      'pantau report: --format: "htm" is not one of markdown, html; did you mean "html"?\n',
    ],
    [["--out", ""], "pantau report: --out: must not be empty\n"],
    [["--db", ""], "pantau report: --db: must not be empty\n"],
    [["--frobnicate"], "error: unknown option '--frobnicate'\n"],
    [["--format"], "error: option '--format <format>' argument missing\n"],
    [["extra"], "error: too many arguments for 'report'. Expected 0 arguments but got 1.\n"],
  ])("%j", async (args, message) => {
    expect(await run([...db, ...args])).toEqual({ code: 2, out: "", err: message });
  });

  it("refuses --db and --url together", async () => {
    expect(await run([...db, "--url", "postgres://pantau@db/pantau"])).toEqual({
      code: 2,
      out: "",
      err: "pantau report: give either --db FILE or --url URL, not both\n",
    });
  });

  it("reads a config's PostgreSQL ledger when no --db is given: unreachable is exit 1", async () => {
    const url = "postgres://pantau:hunter2-secret@127.0.0.1:1/pantau";
    const loadConfig = async () => configWith({ url });
    const result = await run(["--config", "x.yaml"], { loadConfig });
    expect(result).toMatchObject({ code: 1, out: "" });
    expect(result.err).toMatch(
      /^pantau report: LEDGER_OPEN: cannot open ledger postgres:\/\/pantau@127\.0\.0\.1:1\/pantau: .*ECONNREFUSED/,
    );
    expect(result.err).not.toContain("hunter2");
  });
});

describe("pantau report: failures exit 1", () => {
  it("when no ledger is named and the default file does not exist, saying where it looked", async () => {
    expect(await run([])).toEqual({
      code: 1,
      out: "",
      err:
        "pantau report: LEDGER_OPEN: ledger file does not exist: data/pantau.db\n" +
        `  looked for ${join(process.cwd(), "data/pantau.db")} (the default: no --db, --url or --config given)\n` +
        "  name a ledger with --db FILE, --url postgres://user@host/db, or --config FILE (its storage.path or storage.url)\n",
    });
  });

  it("when the ledger file does not exist", async () => {
    const missing = join(dir, "missing.db");
    expect(await run(["--db", missing])).toEqual({
      code: 1,
      out: "",
      err: `pantau report: LEDGER_OPEN: ledger file does not exist: ${missing}\n`,
    });
  });

  it("when --out cannot be written", async () => {
    const file = join(dir, "no-such-folder", "report.md");
    expect(await run([...db, "--out", file])).toEqual({
      code: 1,
      out: "",
      err: `pantau report: --out: cannot write ${file} (ENOENT)\n`,
    });
  });

  it("when the config is not valid, with every issue", async () => {
    const loadConfig = async (): Promise<ConfigLoadResult> => ({
      ok: false,
      issues: [
        { code: "CONFIG_READ", file: "x.yaml", line: 1, col: 1, path: "", message: "cannot read" },
      ],
    });
    expect(await run(["--config", "x.yaml"], { loadConfig })).toEqual({
      code: 1,
      out: "",
      err: "pantau report: --config: x.yaml is not valid\nx.yaml:1:1: cannot read\n",
    });
  });
});

describe("pantau report: the real binary", () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [pantauMain(), "report", ...args], {
      encoding: "utf8",
      timeout: 30_000,
    });

  it("exits 0 with the same report as in-process, reading beside the open writer", () => {
    // a past window: the child's clock is the real one, and it only clamps `until` to now
    const result = cli([...db, ...RANGE]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.split("\n").slice(0, 1)).toEqual(markdown.split("\n").slice(0, 1));
    expect(result.stdout).toContain("| autogate-dps | autogate | dps | 43.913% |");
  });

  it("exits 2 for a bad flag", () => {
    const result = cli([...db, "--format", "pdf"]);
    expect([result.status, result.stdout, result.stderr]).toEqual([
      2,
      "",
      'pantau report: --format: "pdf" is not one of markdown, html\n',
    ]);
  });
});
