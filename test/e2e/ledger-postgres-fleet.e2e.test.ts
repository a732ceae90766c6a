import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ledger } from "../../src/ledger/ledger.js";
import { openPostgresLedger, type PostgresLedger } from "../../src/ledger/postgres.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { transition } from "../ledger/contract.js";
import { runCli } from "../support/cli.js";
import { DaemonProcess, isTransition } from "../support/daemon-process.js";
import { type RunningPostgres, startPostgres } from "../support/external/postgres.js";
import { startSwitchServer } from "../support/servers/switch.js";

/**
 * A fleet on one PostgreSQL ledger, end to end: real `pantau run` daemons (distinct instances)
 * sharing `storage.url`, and `pantau outages` / `pantau report` reading it (`--url`, or the
 * config's storage.url) exactly as they read the same ledger in SQLite.
 */

const dirs: string[] = [];
let server: RunningPostgres;
let n = 0;
const freshDatabase = () => server.createDatabase(`fleet_${++n}`);

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("PostgreSQL ledger shared by daemons and read by the CLI", () => {
  it("records two daemons (instances) sharing storage.url, read back by --config", async () => {
    const url = await freshDatabase();
    const dir = mkdtempSync(join(tmpdir(), "pantau-pg-fleet-"));
    dirs.push(dir);
    const target = await startSwitchServer();
    const config = (instance: string) => {
      const file = join(dir, `${instance}.yaml`);
      const yaml = `global: { interval: 300ms, timeout: 250ms, failure_threshold: 2, success_threshold: 2, instance: ${instance} }
storage: { url: "${url}", heartbeat: 100ms }
targets:
  - { id: portal, http: { url: "${target.url}" } }
`;
      writeFileSync(file, yaml);
      return file;
    };
    const daemons = ["jkt-1", "sby-1"].map(
      (i) => new DaemonProcess(["run", "-c", config(i), "--listen", "none"]),
    );
    try {
      await Promise.all(daemons.map((d) => d.waitFor(isTransition("portal", "unknown", "up"))));
      target.setUp(false);
      await Promise.all(daemons.map((d) => d.waitFor(isTransition("portal", "up", "down"))));
      target.setUp(true);
      await Promise.all(daemons.map((d) => d.waitFor(isTransition("portal", "down", "up"))));
    } finally {
      for (const daemon of daemons) daemon.signal("SIGTERM");
      await Promise.all(daemons.map((d) => d.exited()));
      await target.close();
    }
    const reader = await openPostgresLedger(url, { readonly: true });
    try {
      for (const instance of ["jkt-1", "sby-1"]) {
        const chain = (await reader.transitions({ instance })).map((t) => `${t.from}>${t.to}`);
        expect(chain).toEqual(["unknown>up", "up>down", "down>up"]);
        expect(await reader.runs({ instance })).toMatchObject([{ stoppedAt: expect.any(Number) }]);
      }
    } finally {
      await reader.close();
    }
    const listed = await runCli(["outages", "-c", config("jkt-1"), "--format", "json"]);
    expect(listed.stderr).toBe("");
    const outages = JSON.parse(listed.stdout) as { target: string; end: string | null }[];
    expect(outages).toHaveLength(2);
    expect(outages.every((o) => o.target === "portal" && o.end !== null)).toBe(true);
  });

  describe("pantau outages and pantau report --url", () => {
    let url: string;
    let sqlitePath: string;
    const RANGE = ["--since", "1970-01-01T00:00:00Z", "--until", "1970-01-01T02:00:00Z"];

    beforeAll(async () => {
      url = await freshDatabase();
      const dir = mkdtempSync(join(tmpdir(), "pantau-pg-cli-"));
      dirs.push(dir);
      sqlitePath = join(dir, "ledger.db");
      const postgres: PostgresLedger = await openPostgresLedger(url);
      const sqlite = openSqliteLedger(sqlitePath);
      for (const ledger of [postgres, sqlite]) {
        await writeSmallLedger(ledger);
        await ledger.close();
      }
    });

    it("lists the same outages as from the same ledger in SQLite", async () => {
      const fromPostgres = await runCli(["outages", "--url", url, ...RANGE, "--format", "json"]);
      expect(fromPostgres.stderr).toBe("");
      expect(fromPostgres.code).toBe(0);
      const listed = JSON.parse(fromPostgres.stdout) as { target: string }[];
      expect(listed.map((o) => o.target)).toEqual(["db", "api", "web"]);
      const fromSqlite = await runCli([
        "outages",
        "--db",
        sqlitePath,
        ...RANGE,
        "--format",
        "json",
      ]);
      expect(fromPostgres.stdout).toBe(fromSqlite.stdout);
    });

    it("writes the same report as from the same ledger in SQLite", async () => {
      const fromPostgres = await runCli(["report", "--url", url, ...RANGE]);
      expect(fromPostgres.stderr).toBe("");
      expect(fromPostgres.code).toBe(0);
      expect(fromPostgres.stdout).toContain("db");
      const fromSqlite = await runCli(["report", "--db", sqlitePath, ...RANGE]);
      expect(withoutNow(fromPostgres.stdout)).toBe(withoutNow(fromSqlite.stdout));
    });

    it("exits 1 with LEDGER_OPEN and no password for a wrong one", async () => {
      const wrong = server.url("postgres", "not-the-Pa55word");
      const result = await runCli(["outages", "--url", wrong]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^pantau outages: LEDGER_OPEN: cannot open ledger postgres:/);
      expect(result.stderr).not.toContain("not-the-Pa55word");
    });
  });
});

/** The report says when it was generated: the one line that differs between two runs. */
function withoutNow(report: string): string {
  return report.replace(/Generated \S+Z/, "Generated (now)");
}

/** db down 10–40 min (api blocked by it), web 50–60 min, a restart gap; through the interface. */
async function writeSmallLedger(ledger: Ledger): Promise<void> {
  const min = (m: number) => m * 60_000;
  const { run } = await ledger.startRun("jkt", 0);
  await ledger.commit(
    run.id,
    ["db", "api", "web"].map((id) => transition(id, "unknown", "up", min(1))),
  );
  await ledger.commit(run.id, [transition("db", "up", "down", min(10))]);
  await ledger.commit(run.id, [transition("api", "up", "down", min(11), { blockedBy: "db" })]);
  await ledger.heartbeat(run.id, min(20));
  const second = (await ledger.startRun("jkt", min(25))).run.id;
  await ledger.commit(second, [
    transition("db", "down", "up", min(40)),
    transition("api", "down", "up", min(41)),
  ]);
  await ledger.commit(second, [transition("web", "up", "down", min(50))]);
  await ledger.commit(second, [transition("web", "down", "up", min(60))]);
  await ledger.heartbeat(second, min(90));
}
