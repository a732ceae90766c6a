import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type OutagesDeps,
  outagesCommand,
  renderOutages,
  streamOutages,
} from "../../src/cli/outages.js";
import type { ConfigLoadResult } from "../../src/config/load.js";
import type { Config } from "../../src/config/types.js";
import { listOutages, type OutageFacts } from "../../src/ledger/figures/outage-facts.js";
import { buildIncidentLedger, type IncidentLedger, m } from "../report/fixture.js";
import { pantauMain } from "../support/built-cli.js";
import { type InProcessRun, runInProcess } from "../support/cli.js";

/** now = 2024-06-20T01:00:00Z: the default range is the 24 hours before it. */
const NOW = m(60);

type CliResult = InProcessRun;

async function run(args: string[], deps: Partial<OutagesDeps> = {}): Promise<CliResult> {
  return runInProcess("outages", (io) => outagesCommand({ io, now: () => NOW, ...deps }), args);
}

let fixture: IncidentLedger;
let db: string[];

beforeAll(async () => {
  // the fixture keeps its writable connection open: the CLI reads beside a running writer
  fixture = await buildIncidentLedger();
  db = ["--db", fixture.path];
});

afterAll(async () => {
  await fixture.cleanup();
});

// 80 columns: ids whole (they are what --target takes), service and site cut first
const TABLE = [
  "target       service  site  start       end         duration reason  blocked_by",
  "autogate-dps autogate dps   06-19 23:30 06-20 00:50   1h 20m refused -",
  "simkim-core  immigra… pdns2 06-20 00:10 06-20 00:40      30m timeout -",
  "autogate-cgk autogate cgk   06-20 00:15 06-20 00:35      20m timeout simkim-core",
  "portal       immigra… jaka… 06-20 00:55 open              5m status  -",
  "4 outages in 2024-06-19T01:00:00.000Z .. 2024-06-20T01:00:00.000Z, times UTC",
  "",
].join("\n");

const CSV = [
  "instance,target,service,site,start,end,detected_at,duration_seconds,blind_seconds,reason,detail,blocked_by,blocked_until,maintenance,end_reason,last_ok_at,last_failed_at",
  "jakarta-1,autogate-dps,autogate,dps,2024-06-19T23:30:00.000Z,2024-06-20T00:50:00.000Z,2024-06-19T23:31:00.000Z,4800.000,300.000,refused,ECONNREFUSED,,,false,recovered,2024-06-19T23:29:30.000Z,2024-06-20T00:49:30.000Z",
  "jakarta-1,simkim-core,immigration-core,pdns2,2024-06-20T00:10:00.000Z,2024-06-20T00:40:00.000Z,2024-06-20T00:11:00.000Z,1800.000,300.000,timeout,no answer in 10s,,,false,recovered,2024-06-20T00:09:30.000Z,2024-06-20T00:39:30.000Z",
  "jakarta-1,autogate-cgk,autogate,cgk,2024-06-20T00:15:00.000Z,2024-06-20T00:35:00.000Z,2024-06-20T00:16:00.000Z,1200.000,300.000,timeout,no answer in 10s,simkim-core,,false,recovered,2024-06-20T00:14:30.000Z,2024-06-20T00:34:30.000Z",
  "jakarta-1,portal,immigration-portal,jakarta,2024-06-20T00:55:00.000Z,,2024-06-20T00:56:00.000Z,300.000,0.000,status,HTTP 503,,,false,,2024-06-20T00:54:30.000Z,",
  "",
].join("\n");

const MARKDOWN = [
  "| target | service | site | start | end | duration | reason | blocked_by |",
  "| --- | --- | --- | --- | --- | ---: | --- | --- |",
  "| autogate-dps | autogate | dps | 2024-06-19T23:30:00.000Z | 2024-06-20T00:50:00.000Z | 1h 20m | refused | - |",
  "| simkim-core | immigration-core | pdns2 | 2024-06-20T00:10:00.000Z | 2024-06-20T00:40:00.000Z | 30m | timeout | - |",
  "| autogate-cgk | autogate | cgk | 2024-06-20T00:15:00.000Z | 2024-06-20T00:35:00.000Z | 20m | timeout | simkim-core |",
  "| portal | immigration-portal | jakarta | 2024-06-20T00:55:00.000Z | open | 5m | status | - |",
  "",
].join("\n");

const PORTAL_JSON = `[
  {
    "instance": "jakarta-1",
    "target": "portal",
    "service": "immigration-portal",
    "site": "jakarta",
    "start": "2024-06-20T00:55:00.000Z",
    "end": null,
    "detected_at": "2024-06-20T00:56:00.000Z",
    "duration_seconds": 300,
    "blind_seconds": 0,
    "reason": "status",
    "detail": "HTTP 503",
    "blocked_by": null,
    "blocked_until": null,
    "maintenance": false,
    "end_reason": null,
    "last_ok_at": "2024-06-20T00:54:30.000Z",
    "last_failed_at": null
  }
]
`;

describe("pantau outages: output", () => {
  it.each([
    ["table (the default)", [], TABLE],
    ["table", ["--format", "table"], TABLE],
    ["csv", ["--format", "csv"], CSV],
    ["markdown", ["--format", "markdown"], MARKDOWN],
    ["markdown as md", ["--format", "md"], MARKDOWN],
    ["json of the open outages", ["--format", "json", "--open"], PORTAL_JSON],
  ])("%s", async (_, args, expected) => {
    expect(await run([...db, ...args])).toEqual({ code: 0, out: expected, err: "" });
  });

  it("keeps the table within 80 columns", async () => {
    const { out } = await run(db);
    for (const line of out.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("fits the table to the terminal's width", async () => {
    const wide = await runInProcess(
      "outages",
      (io) => outagesCommand({ io: { ...io, columns: 120 }, now: () => NOW }),
      db,
    );
    expect(wide.out.split("\n").slice(0, 3)).toEqual([
      "target       service            site    start       end         duration reason  blocked_by",
      "autogate-dps autogate           dps     06-19 23:30 06-20 00:50   1h 20m refused -",
      "simkim-core  immigration-core   pdns2   06-20 00:10 06-20 00:40      30m timeout -",
    ]);
  });

  it.each([
    [
      ["--target", "simkim-cor"],
      'pantau outages: --target: the ledger has no target "simkim-cor"; did you mean "simkim-core"?\n',
    ],
    [["--target", "evisa"], 'pantau outages: --target: the ledger has no target "evisa"\n'],
  ])("%j: a target the ledger never saw exits 1", async (args, err) => {
    expect(await run([...db, ...args])).toEqual({ code: 1, out: "", err });
  });

  it("gives every outage in json with exact seconds", async () => {
    const { out } = await run([...db, "--format", "json"]);
    const outages = JSON.parse(out) as { target: string; duration_seconds: number }[];
    expect(outages.map((o) => [o.target, o.duration_seconds])).toEqual([
      ["autogate-dps", 4800],
      ["simkim-core", 1800],
      ["autogate-cgk", 1200],
      ["portal", 300],
    ]);
  });

  it.each([
    [["--target", "simkim-core"], ["simkim-core"]],
    [
      ["--service", "autogate"],
      ["autogate-dps", "autogate-cgk"],
    ],
    [["--service", "autogate", "--site", "cgk"], ["autogate-cgk"]],
    [["--site", "jakarta", "--open"], ["portal"]],
    [
      ["--since", "2024-06-20T00:36:00Z", "--until", "2024-06-20T07:54:00+07:00"],
      ["autogate-dps", "simkim-core"],
    ],
    [["--since", "-10m"], ["portal"]],
  ])("selects with %j", async (args, targets) => {
    const { code, out } = await run([...db, ...args, "--format", "json"]);
    expect(code).toBe(0);
    expect((JSON.parse(out) as { target: string }[]).map((o) => o.target)).toEqual(targets);
  });

  const EMPTY = ["--since", "2024-06-18T00:00:00Z", "--until", "2024-06-18T01:00:00Z"];
  it.each([
    ["table", "no outages in 2024-06-18T00:00:00.000Z .. 2024-06-18T01:00:00.000Z\n"],
    ["csv", `${CSV.split("\n")[0]}\n`],
    ["json", "[]\n"],
    ["markdown", `${MARKDOWN.split("\n").slice(0, 2).join("\n")}\n`],
  ])("says so when there are none (%s), and exits 0", async (format, expected) => {
    expect(await run([...db, ...EMPTY, "--format", format])).toEqual({
      code: 0,
      out: expected,
      err: "",
    });
  });
});

describe("pantau outages: table layout", () => {
  const outage = (overrides: Partial<OutageFacts>): OutageFacts => ({
    id: 1,
    instance: "jakarta-1",
    targetId: "simkim-core",
    service: "immigration-core",
    site: "pdns2",
    start: Date.UTC(2023, 11, 31, 23, 30),
    end: Date.UTC(2024, 0, 1, 0, 15),
    detectedAt: Date.UTC(2023, 11, 31, 23, 31),
    reason: "timeout",
    detail: null,
    blockedBy: null,
    blockedUntil: null,
    maintenance: false,
    endReason: "recovered",
    lastOkAt: null,
    lastFailedAt: null,
    pageSettledAt: Date.UTC(2023, 11, 31, 23, 31),
    durationSeconds: 2700,
    blindSeconds: 0,
    ...overrides,
  });
  const range = { since: Date.UTC(2023, 11, 31), until: Date.UTC(2024, 0, 2) };

  it("shows the year when the times span two, still within 80 columns", () => {
    expect(renderOutages([outage({})], "table", range)).toBe(
      [
        "target      servi… site start            end              duration reason block…",
        "simkim-core immig… pdn… 2023-12-31 23:30 2024-01-01 00:15      45m timeo… -",
        "1 outage in 2023-12-31T00:00:00.000Z .. 2024-01-02T00:00:00.000Z, times UTC",
        "",
      ].join("\n"),
    );
  });

  it("cuts long names with … to stay within 80 columns", () => {
    const long = outage({
      targetId: "autogate-soekarno-hatta-terminal-3-international",
      service: "passport-control-autogate-fleet",
      site: "soekarno-hatta-international-airport",
      reason: "too_many_redirects",
      blockedBy: "simkim-core-primary-datacentre",
      start: Date.UTC(2024, 5, 20, 1),
      end: Date.UTC(2024, 5, 30, 2),
      durationSeconds: 10 * 86_400 + 3600,
    });
    const lines = renderOutages([long], "table", range).split("\n");
    // past every other column's minimum, ids are cut too
    expect(lines.slice(0, 2)).toEqual([
      "target           servi… site start       end         duration reason blocked_by",
      "autogate-soekar… passp… soe… 06-20 01:00 06-30 02:00   10d 1h too_m… simkim-cor…",
    ]);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("uses a wider terminal's width and cuts nothing that fits", () => {
    const long = outage({
      targetId: "autogate-soekarno-hatta-terminal-3-international",
      service: "passport-control-autogate-fleet",
      site: "soekarno-hatta-international-airport",
      blockedBy: "simkim-core-primary-datacentre",
    });
    const lines = renderOutages([long], "table", range, 200).split("\n");
    expect(lines[1]).toBe(
      "autogate-soekarno-hatta-terminal-3-international passport-control-autogate-fleet soekarno-hatta-international-airport 2023-12-31 23:30 2024-01-01 00:15      45m timeout simkim-core-primary-datacentre",
    );
    expect(lines[1]).not.toContain("…");
  });

  it("shows - for a missing service, site, reason or dependency", () => {
    const bare = outage({ service: "", site: "", reason: null, blockedBy: null });
    expect(renderOutages([bare], "table", range).split("\n")[1]).toBe(
      "simkim-core -      -    2023-12-31 23:30 2024-01-01 00:15      45m -      -",
    );
  });
});

describe("pantau outages: bad flags exit 2 with one line naming the flag", () => {
  it.each([
    [
      ["--since", "yesterday"],
      'pantau outages: --since: "yesterday" is not an RFC 3339 time or a relative duration like -24h\n',
    ],
    [
      ["--until", "tomorrow"],
      'pantau outages: --until: "tomorrow" is not an RFC 3339 time or a relative duration like -24h\n',
    ],
    [
      ["--since", "2024-06-20T01:00:00"],
      'pantau outages: --since: "2024-06-20T01:00:00" has no UTC offset: add Z or one like +07:00\n',
    ],
    [
      ["--since", "-1h", "--until", "-2h"],
      "pantau outages: --since: 2024-06-20T00:00:00.000Z is not before until (2024-06-19T23:00:00.000Z)\n",
    ],
    [
      ["--target", "SIMKIM"],
      'pantau outages: --target: "SIMKIM" is not a target id ([a-z0-9][a-z0-9._-]*)\n',
    ],
    [["--service", ""], "pantau outages: --service: must be 1 to 128 characters long\n"],
    [["--site", "x".repeat(129)], "pantau outages: --site: must be 1 to 128 characters long\n"],
    [
      ["--format", "xml"],
      'pantau outages: --format: "xml" is not one of table, csv, json, markdown\n',
    ],
    [
      ["--format", "jsno"],
      'pantau outages: --format: "jsno" is not one of table, csv, json, markdown; did you mean "json"?\n',
    ],
    [["--db", ""], "pantau outages: --db: must not be empty\n"],
    [
      ["--url", "postgres://pantau@db/pantau"],
      "pantau outages: give either --db FILE or --url URL, not both\n",
    ],
    [["--frobnicate"], "error: unknown option '--frobnicate'\n"],
    [["--since"], "error: option '--since <time>' argument missing\n"],
    [["extra"], "error: too many arguments for 'outages'. Expected 0 arguments but got 1.\n"],
  ])("%j", async (args, message) => {
    expect(await run([...db, ...args])).toEqual({ code: 2, out: "", err: message });
  });
});

describe("pantau outages: the ledger file", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pantau-outages-cli-"));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const configWith = (storage: Partial<Config["storage"]>): ConfigLoadResult => ({
    ok: true,
    config: { storage: { path: null, url: null, heartbeat: 5000, ...storage } } as Config,
  });

  it("fails with exit 1 when the file does not exist", async () => {
    const missing = join(dir, "missing.db");
    expect(await run(["--db", missing])).toEqual({
      code: 1,
      out: "",
      err: `pantau outages: LEDGER_OPEN: ledger file does not exist: ${missing}\n`,
    });
  });

  const HOW_TO_NAME =
    "  name a ledger with --db FILE, --url postgres://user@host/db, or --config FILE (its storage.path or storage.url)\n";

  it("defaults to data/pantau.db, and says where it looked and how to name a ledger", async () => {
    const result = await run([], { loadConfig: () => Promise.reject(new Error("not called")) });
    expect(result).toEqual({
      code: 1,
      out: "",
      err:
        "pantau outages: LEDGER_OPEN: ledger file does not exist: data/pantau.db\n" +
        `  looked for ${join(process.cwd(), "data/pantau.db")} (the default: no --db, --url or --config given)\n${HOW_TO_NAME}`,
    });
  });

  it("says where it looked when --config's storage.path does not exist", async () => {
    const missing = join(dir, "gone.db");
    const result = await run(["--config", "pantau.yaml"], {
      loadConfig: async () => configWith({ path: missing }),
    });
    expect(result.err).toBe(
      `pantau outages: LEDGER_OPEN: ledger file does not exist: ${missing}\n` +
        `  looked for ${missing} (--config's storage.path or storage.url)\n${HOW_TO_NAME}`,
    );
  });

  it("takes storage.path from --config", async () => {
    const seen: string[] = [];
    const loadConfig = async (file: string) => {
      seen.push(file);
      return configWith({ path: fixture.path });
    };
    const result = await run(["--config", "pantau.yaml", "--open"], { loadConfig });
    expect(seen).toEqual(["pantau.yaml"]);
    expect(result.code).toBe(0);
    expect(result.out).toContain("portal ");
  });

  it("prefers --db to --config", async () => {
    const loadConfig = () => Promise.reject(new Error("must not load the config"));
    expect((await run([...db, "--config", "pantau.yaml"], { loadConfig })).code).toBe(0);
  });

  it("reads a real config file", async () => {
    const file = join(dir, "pantau.yaml");
    writeFileSync(
      file,
      `storage:\n  path: ${fixture.path}\ntargets:\n  - id: a\n    tcp: { host: 127.0.0.1, port: 1 }\n`,
    );
    const { code, out } = await run(["--config", file, "--format", "csv"]);
    expect(code).toBe(0);
    expect(out).toBe(CSV);
  });

  it("fails with exit 1 and every issue for an invalid config", async () => {
    const loadConfig = async (): Promise<ConfigLoadResult> => ({
      ok: false,
      issues: [
        { code: "CONFIG_READ", file: "x.yaml", line: 1, col: 1, path: "", message: "cannot read" },
      ],
    });
    expect(await run(["--config", "x.yaml"], { loadConfig })).toEqual({
      code: 1,
      out: "",
      err: "pantau outages: --config: x.yaml is not valid\nx.yaml:1:1: cannot read\n",
    });
  });

  it("reads a config's PostgreSQL ledger: unreachable is exit 1, never showing the password", async () => {
    const url = "postgres://pantau:hunter2-secret@127.0.0.1:1/pantau";
    const loadConfig = async () => configWith({ url });
    const result = await run(["--config", "x.yaml"], { loadConfig });
    expect(result).toMatchObject({ code: 1, out: "" });
    expect(result.err).toMatch(
      /^pantau outages: LEDGER_OPEN: cannot open ledger postgres:\/\/pantau@127\.0\.0\.1:1\/pantau: .*ECONNREFUSED/,
    );
    expect(result.err).not.toContain("hunter2");
  });

  it("refuses an empty --url with exit 2", async () => {
    expect(await run(["--url", ""])).toEqual({
      code: 2,
      out: "",
      err: "pantau outages: --url: must not be empty\n",
    });
  });
});

describe("pantau outages: the real binary", () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [pantauMain(), "outages", ...args], {
      encoding: "utf8",
      timeout: 30_000,
    });

  it("exits 0 with the same table as in-process, reading beside the open writer", async () => {
    // closed outages only: the child's clock is the real one, and an open outage runs to it
    const args = [...db, "--service", "autogate", "--since", "2024-06-19T01:00:00Z"];
    const result = cli([...args, "--until", "2024-06-20T01:00:00Z"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe((await run(args)).out);
    expect(result.stdout).toContain("autogate-dps");
  });

  it.each([
    [
      ["--format", "xml"],
      'pantau outages: --format: "xml" is not one of table, csv, json, markdown\n',
    ],
    [["--frobnicate"], "error: unknown option '--frobnicate'\n"],
  ])("exits 2 for %j", (args, message) => {
    const result = cli([...db, ...args]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(message);
  });
});

describe("pantau outages: csv and json written a page at a time", () => {
  let fixture: IncidentLedger;

  beforeAll(async () => {
    fixture = await buildIncidentLedger();
  });

  afterAll(async () => {
    await fixture.cleanup();
  });

  async function* pagesOf(outages: readonly OutageFacts[], size: number) {
    for (let i = 0; i < outages.length; i += size) yield outages.slice(i, i + size);
  }

  it.each(["csv", "json"] as const)(
    "%s: the same bytes as rendered at once, for any page size",
    async (format) => {
      const range = { since: m(-200), until: m(200) };
      const listed = await listOutages(fixture.ledger, range, NOW);
      expect(listed.length).toBeGreaterThan(2);
      // every text field needing CSV quotes, and every optional one set
      const first = listed[0] as OutageFacts;
      const awkward: OutageFacts = {
        ...first,
        instance: "jakarta,1",
        targetId: 'the "portal"',
        service: "a\nb",
        site: "c\rd",
        reason: "status, 503",
        detail: 'said "no", then\r\nleft',
        blockedBy: "core,db",
        blockedUntil: m(5),
        endReason: "removed,",
        maintenance: true,
        end: null,
      };
      const outages = [...listed, awkward];
      for (const size of [1, 2, outages.length]) {
        let text = "";
        await streamOutages(pagesOf(outages, size), format, {
          out: (part) => {
            text += part;
          },
          err: () => undefined,
          setExitCode: () => undefined,
        });
        expect(text).toBe(renderOutages(outages, format, range));
      }
      let none = "";
      await streamOutages(pagesOf([], 1), format, {
        out: (part) => {
          none += part;
        },
        err: () => undefined,
        setExitCode: () => undefined,
      });
      expect(none).toBe(renderOutages([], format, range));
    },
  );
});
