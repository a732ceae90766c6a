import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ledger, StoredTransition } from "../../src/ledger/ledger.js";
import { openLedger } from "../../src/ledger/open.js";
import { openPostgresLedger, type PostgresLedger } from "../../src/ledger/postgres.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { expectLedgerError, ledgerContract, transition } from "../ledger/contract.js";
import { runCli } from "../support/cli.js";
import { DaemonProcess, isTransition } from "../support/daemon-process.js";
import { type RunningPostgres, startPostgres } from "../support/postgres.js";
import { startSwitchServer } from "../support/switch-server.js";

/**
 * The PostgreSQL ledger against Debian's real server: the shared contract suite (as SQLite runs
 * it), several daemons on one database, instance filters, open errors that never show the
 * password, and `pantau outages` / `pantau report --url` reading what SQLite would give.
 */

const TABLES = "runs, transitions, outages, gaps, target_states";
const dirs: string[] = [];
let server: RunningPostgres;
let contractUrl: string;

beforeAll(async () => {
  server = await startPostgres();
  contractUrl = await server.createDatabase("contract");
  await (await openPostgresLedger(contractUrl)).close();
});

afterAll(async () => {
  await server?.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// a fresh, empty ledger per test: the migrated database emptied (ids restart too)
ledgerContract("postgres", async () => {
  await server.sql(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`, "contract");
  return openPostgresLedger(contractUrl);
});

describe("PostgresLedger", () => {
  let n = 0;
  const freshDatabase = () => server.createDatabase(`ledger_${++n}`);

  it("migrates once when several daemons open a new database together", async () => {
    const url = await freshDatabase();
    const ledgers = await Promise.all([1, 2, 3, 4].map(() => openPostgresLedger(url)));
    await Promise.all(ledgers.map((ledger) => ledger.close()));
    const applied = await server.sql("SELECT version FROM schema_migrations", `ledger_${n}`);
    expect(applied.rows).toEqual([{ version: "1" }]);
  });

  it("keeps chains intact when two daemons (instances) commit concurrently", async () => {
    const url = await freshDatabase();
    const jkt = await openPostgresLedger(url);
    const sby = await openPostgresLedger(url);
    try {
      const runs = await Promise.all([jkt.startRun("jkt", 0), sby.startRun("sby", 0)]);
      const flap = async (ledger: Ledger, runId: number) => {
        // the same target ids in both instances; 40 batches each, up/down alternately
        for (let i = 0; i < 40; i += 1) {
          const [from, to] = i % 2 === 0 ? (["up", "down"] as const) : (["down", "up"] as const);
          const batch = ["a", "b", "c"].map((id) => transition(id, from, to, 1_000 + i * 10));
          if (i === 0)
            batch.unshift(...["a", "b", "c"].map((id) => transition(id, "unknown", "up", 999)));
          await ledger.commit(runId, batch);
        }
      };
      await Promise.all([flap(jkt, runs[0].run.id), flap(sby, runs[1].run.id)]);
      for (const instance of ["jkt", "sby"]) {
        const stored = await jkt.transitions({ instance });
        expect(stored).toHaveLength(3 + 120);
        expectChains(stored);
        const outages = await sby.outages({ instance });
        expect(outages).toHaveLength(60);
        expect(outages.every((o) => o.end !== null && o.instance === instance)).toBe(true);
      }
    } finally {
      await Promise.all([jkt.close(), sby.close()]);
    }
  });

  it("lets exactly one of two racing commits extend the same chain", async () => {
    const url = await freshDatabase();
    const first = await openPostgresLedger(url);
    const second = await openPostgresLedger(url);
    try {
      const { run } = await first.startRun("jkt", 0);
      await first.commit(run.id, [transition("a", "unknown", "up", 10)]);
      for (let round = 0; round < 10; round += 1) {
        const [from, to] = round % 2 === 0 ? (["up", "down"] as const) : (["down", "up"] as const);
        const at = 100 + round;
        const results = await Promise.allSettled([
          first.commit(run.id, [transition("a", from, to, at)]),
          second.commit(run.id, [transition("a", from, to, at)]),
        ]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        const rejected = results.find((r) => r.status === "rejected");
        expect(rejected?.reason).toMatchObject({ code: "LEDGER_TRANSITION_CHAIN" });
      }
      const stored = await first.transitions({ instance: "jkt" });
      expect(stored).toHaveLength(11);
      expectChains(stored);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("filters every query by instance", async () => {
    const ledger = await openPostgresLedger(await freshDatabase());
    try {
      for (const instance of ["jkt", "sby"]) {
        const { run } = await ledger.startRun(instance, 0);
        await ledger.commit(run.id, [transition("a", "unknown", "down", 10)]);
        await ledger.openGap({ instance, kind: "blind", start: 20, end: null });
      }
      for (const instance of ["jkt", "sby"]) {
        expect((await ledger.transitions({ instance })).map((t) => t.instance)).toEqual([instance]);
        expect((await ledger.outages({ instance })).map((o) => o.instance)).toEqual([instance]);
        expect((await ledger.gaps({ instance })).map((g) => g.instance)).toEqual([instance]);
        expect((await ledger.runs({ instance })).map((r) => r.instance)).toEqual([instance]);
        expect((await ledger.latestTransitions(instance)).map((t) => t.instance)).toEqual([
          instance,
        ]);
      }
      expect(await ledger.outages({ open: true })).toHaveLength(2);
    } finally {
      await ledger.close();
    }
  });

  it("gives LEDGER_OPEN naming user, host and database but never the password", async () => {
    const url = server.url("contract", "wrong-Pa55word");
    const error = await expectLedgerError(openPostgresLedger(url), "LEDGER_OPEN", {
      host: `127.0.0.1:${server.port}`,
      database: "contract",
    });
    expect(error.message).toContain(`postgres://postgres@127.0.0.1:${server.port}/contract`);
    expect(error.message).toMatch(/password authentication failed/);
    const shown = `${error.message} ${JSON.stringify(error.context)} ${String(error.cause)}`;
    expect(shown).not.toContain("wrong-Pa55word");
    expect(shown).not.toContain(server.password);
  });

  it("opens read-only: no migration (LEDGER_SCHEMA), no writes (LEDGER_READONLY)", async () => {
    const url = await freshDatabase();
    await expectLedgerError(openPostgresLedger(url, { readonly: true }), "LEDGER_SCHEMA");
    await (await openPostgresLedger(url)).close();
    const reader = await openLedger({ path: null, url }, { readonly: true });
    try {
      await expectLedgerError(reader.startRun("jkt", 0), "LEDGER_READONLY");
      expect(await reader.runs({})).toEqual([]);
    } finally {
      await reader.close();
    }
  });

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
      const wrong = server.url("contract", "not-the-Pa55word");
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

/** Every target's transitions, in order, follow on from each other. */
function expectChains(stored: readonly StoredTransition[]): void {
  const last = new Map<string, string>();
  for (const t of stored) {
    expect(t.from).toBe(last.get(t.targetId) ?? "unknown");
    last.set(t.targetId, t.to);
  }
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
