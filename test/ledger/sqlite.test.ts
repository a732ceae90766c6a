import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import {
  MIGRATIONS,
  migrationStatements,
  SCHEMA_MIGRATIONS_TABLE,
} from "../../src/ledger/sql/migrations.js";
import { targetHistoryQuery } from "../../src/ledger/sql/queries.js";
import { openSqliteLedger, type SqliteLedger } from "../../src/ledger/sqlite.js";
import { builtModuleUrl } from "../support/built-cli.js";
import { expectLedgerError, ledgerContract, transition } from "./contract.js";
import { haLedgerContract } from "./contract-ha.js";
import { pushLedgerContract } from "./contract-push.js";
import { quorumLedgerContract } from "./contract-quorum.js";

const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "pantau-ledger-"));
  dirs.push(dir);
  return dir;
}

async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

ledgerContract(
  "sqlite (temp file)",
  async () => openSqliteLedger(join(await tempDir(), "ledger.db")),
  removeTempDirs,
);

haLedgerContract(
  "sqlite (temp file)",
  async () => openSqliteLedger(join(await tempDir(), "ledger.db")),
  removeTempDirs,
);

pushLedgerContract(
  "sqlite (temp file)",
  async () => openSqliteLedger(join(await tempDir(), "ledger.db")),
  removeTempDirs,
);

quorumLedgerContract(
  "sqlite (temp file)",
  async () => openSqliteLedger(join(await tempDir(), "ledger.db")),
  removeTempDirs,
);

describe("SqliteLedger", () => {
  const open: SqliteLedger[] = [];
  const raw: Database.Database[] = [];

  function ledgerAt(path: string, readonly = false): SqliteLedger {
    const ledger = openSqliteLedger(path, { readonly });
    open.push(ledger);
    return ledger;
  }

  function rawAt(path: string, options: Database.Options = {}): Database.Database {
    const db = new Database(path, options);
    raw.push(db);
    return db;
  }

  afterEach(async () => {
    for (const db of raw.splice(0)) db.close();
    await Promise.all(open.splice(0).map((ledger) => ledger.close()));
    await removeTempDirs();
  });

  it("runs in WAL mode with synchronous=FULL, a busy timeout and foreign keys", async () => {
    const path = join(await tempDir(), "ledger.db");
    const ledger = ledgerAt(path);
    expect(ledger.pragmas()).toEqual({
      journalMode: "wal",
      synchronous: 2,
      busyTimeoutMs: 5000,
      foreignKeys: true,
    });
    // journal_mode is a property of the file: another connection sees it too
    expect(rawAt(path).pragma("journal_mode", { simple: true })).toBe("wal");
  });

  it("creates missing parent directories", async () => {
    const path = join(await tempDir(), "var", "lib", "pantau", "ledger.db");
    const ledger = ledgerAt(path);
    await ledger.startRun("a", 0);
    expect(existsSync(path)).toBe(true);
  });

  it("lets a read-only connection read committed rows while the writer is open", async () => {
    const path = join(await tempDir(), "ledger.db");
    const writer = ledgerAt(path);
    const { run } = await writer.startRun("a", 0);
    await writer.commit(run.id, [transition("x", "unknown", "down", 100)]);
    const reader = ledgerAt(path, true);
    expect(reader.readonly).toBe(true);
    expect(await reader.transitions({})).toEqual(await writer.transitions({}));
    expect(await reader.outages({ open: true })).toHaveLength(1);
    // and what the writer commits later
    await writer.commit(run.id, [transition("x", "down", "up", 200)]);
    expect(await reader.outages({ open: false })).toHaveLength(1);
    expect(await reader.latestTransitions("a")).toEqual(await writer.latestTransitions("a"));
    expect(await reader.runs({})).toEqual([run]);
  });

  it("serves another process's read-only open while a write transaction is in progress", async () => {
    const path = join(await tempDir(), "ledger.db");
    const writer = ledgerAt(path);
    const { run } = await writer.startRun("a", 0);
    await writer.commit(run.id, [transition("x", "unknown", "down", 100)]);
    const busy = rawAt(path);
    busy.pragma("busy_timeout = 0");
    busy.exec("BEGIN IMMEDIATE");
    busy
      .prepare(
        `INSERT INTO transitions (run_id, instance, target_id, service, site, from_state, to_state,
          at, detected_at, maintenance) VALUES (?, 'a', 'x', 's', '', 'down', 'up', 200, 200, 0)`,
      )
      .run(run.id);
    const script = `
      import { openSqliteLedger } from ${JSON.stringify(builtModuleUrl("ledger/sqlite.js"))};
      const ledger = openSqliteLedger(process.argv[1], { readonly: true });
      const transitions = await ledger.transitions({});
      console.log(JSON.stringify(transitions.map((t) => t.to)));
      await ledger.close();`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script, path], {
      encoding: "utf8",
      timeout: 15_000,
    });
    busy.exec("ROLLBACK");
    expect(child.stderr).toBe("");
    // committed rows only: the uncommitted down→up is invisible, and the reader did not wait
    expect(JSON.parse(child.stdout)).toEqual(["down"]);
  });

  it("refuses writes on a read-only ledger", async () => {
    const path = join(await tempDir(), "ledger.db");
    const { run } = await ledgerAt(path).startRun("a", 0);
    const reader = ledgerAt(path, true);
    await expectLedgerError(reader.startRun("a", 1), "LEDGER_READONLY", { path });
    await expectLedgerError(reader.heartbeat(run.id, 1), "LEDGER_READONLY");
    await expectLedgerError(reader.commit(run.id, []), "LEDGER_READONLY");
    await expectLedgerError(
      reader.openGap({ instance: "a", kind: "blind", start: 0, end: null }),
      "LEDGER_READONLY",
    );
  });

  it("never writes the file on a read-only open, even with the writer gone", async () => {
    const path = join(await tempDir(), "ledger.db");
    const writer = ledgerAt(path);
    const { run } = await writer.startRun("a", 0);
    await writer.commit(run.id, [transition("x", "unknown", "up", 100)]);
    await writer.close();
    const before = fingerprint(path);
    const reader = ledgerAt(path, true);
    expect(await reader.transitions({})).toHaveLength(1);
    await reader.close();
    const after = fingerprint(path);
    expect(after.db).toBe(before.db);
    // SQLite may leave an EMPTY -wal (and -shm) for a WAL reader: no content is ever written
    expect(after.wal === before.wal || after.wal === EMPTY_SHA256).toBe(true);
  });

  it("does not migrate on a read-only open of a never-migrated file", async () => {
    const path = join(await tempDir(), "empty.db");
    rawAt(path).exec("CREATE TABLE other (x INTEGER)");
    const error = await expectLedgerError(
      Promise.resolve().then(() => ledgerAt(path, true)),
      "LEDGER_SCHEMA",
      { path, found: null },
    );
    expect(error.message).toContain("start the daemon once");
    const tables = rawAt(path)
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all();
    expect(tables.map((t) => t.name)).toEqual(["other"]);
  });

  it("gives LEDGER_OPEN with the path for a read-only open of a missing file, creating nothing", async () => {
    const path = join(await tempDir(), "missing", "ledger.db");
    const error = await expectLedgerError(
      Promise.resolve().then(() => ledgerAt(path, true)),
      "LEDGER_OPEN",
      { path, readonly: true },
    );
    expect(error.message).toContain(path);
    expect(existsSync(join(path, ".."))).toBe(false);
  });

  it("gives LEDGER_OPEN for a file that is not a database", async () => {
    const path = join(await tempDir(), "notes.txt");
    writeFileSync(path, "this is not a database, it is a long enough text file. ".repeat(20));
    await expectLedgerError(
      Promise.resolve().then(() => ledgerAt(path)),
      "LEDGER_OPEN",
      { path },
    );
  });

  it("refuses a file whose schema is newer than this build", async () => {
    const path = join(await tempDir(), "ledger.db");
    await ledgerAt(path).close();
    rawAt(path).prepare("INSERT INTO schema_migrations VALUES (999, 'future', 0)").run();
    for (const readonly of [false, true]) {
      await expectLedgerError(
        Promise.resolve().then(() => ledgerAt(path, readonly)),
        "LEDGER_SCHEMA",
        { path, found: 999 },
      );
    }
  });

  it("applies each migration once, however often the file is opened", async () => {
    const path = join(await tempDir(), "ledger.db");
    for (let i = 0; i < 3; i++) await ledgerAt(path).close();
    const versions = rawAt(path)
      .prepare<[], { version: number }>("SELECT version FROM schema_migrations ORDER BY version")
      .all();
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("migrates a version-3 ledger with an open outage: old rows have no bounds, new ones do (migration 4)", async () => {
    const path = join(await tempDir(), "ledger.db");
    const raw = rawAt(path);
    raw.exec(SCHEMA_MIGRATIONS_TABLE);
    for (const migration of MIGRATIONS.filter((m) => m.version <= 3)) {
      for (const sql of migrationStatements(migration, "sqlite")) raw.exec(sql);
      raw
        .prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)")
        .run(migration.version, migration.name);
    }
    raw.exec(`INSERT INTO runs (id, instance, started_at, last_heartbeat) VALUES (1, 'a', 0, 50);
      INSERT INTO transitions (id, run_id, instance, target_id, service, site, from_state, to_state,
        at, detected_at, maintenance) VALUES (1, 1, 'a', 'x', '', '', 'unknown', 'down', 10, 20, 0);
      INSERT INTO target_states VALUES ('a', 'x', 'down', 10, 1);
      INSERT INTO outages (instance, target_id, service, site, start_at, detected_at, maintenance,
        open_transition_id) VALUES ('a', 'x', '', '', 10, 20, 0, 1);`);
    raw.close();
    const ledger = ledgerAt(path);
    expect((await ledger.latestTransitions("a"))[0]).toMatchObject({
      at: 10,
      previousProbeAt: null,
    });
    const { run } = await ledger.startRun("a", 100);
    await ledger.commit(run.id, [transition("x", "down", "up", 200, { previousProbeAt: 190 })]);
    expect(await ledger.outages({})).toMatchObject([
      { start: 10, lastOkAt: null, end: 200, lastFailedAt: 190 },
    ]);
    await ledger.close();
  });

  it("reads each target's history from the covering index alone (migration 3)", async () => {
    const path = join(await tempDir(), "ledger.db");
    await ledgerAt(path).close();
    const { sql, params } = targetHistoryQuery({ since: 0, until: 1 });
    const plan = rawAt(path, { readonly: true })
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all("a", "web", ...params) as { detail: string }[];
    // a table lookup per row cost a month's report half a second of its stepping
    expect(plan.map((row) => row.detail)).toEqual([
      "SEARCH transitions USING COVERING INDEX transitions_target_states (instance=? AND target_id=? AND at>? AND at<?)",
    ]);
  });

  it("reads every state and any at from the packed per-target rows", async () => {
    const ledger = ledgerAt(join(await tempDir(), "ledger.db"));
    const { run } = await ledger.startRun("a", 0);
    await ledger.commit(run.id, [
      transition("x", "unknown", "up", -100),
      transition("x", "up", "degraded", 200),
      transition("x", "degraded", "down", 300),
      transition("x", "down", "unknown", 400),
      // not an integer, or too large to pack: such a target is read as its rows are
      transition("y", "unknown", "down", 100.5),
      transition("z", "unknown", "down", 150),
      transition("z", "down", "degraded", 2 ** 51 + 3),
      // the largest at that packs (into 2^53 - 16 + 2), and the smallest that does not
      transition("w", "unknown", "up", 2 ** 49 - 1),
      transition("v", "unknown", "up", 2 ** 49),
      // packed, 2^53 + 23 would read back as 2^53 + 24: degraded instead of unknown
      transition("v", "up", "unknown", 2 ** 49 + 1),
    ]);
    const text = (await ledger.stateHistories({})).map(
      (h) => `${h.targetId} ${h.to.map((to, i) => `${to}@${h.at[i]}`).join(" ")}`,
    );
    expect(text).toEqual([
      "x up@-100 degraded@200 down@300 unknown@400",
      "y down@100.5",
      `z down@150 degraded@${2 ** 51 + 3}`,
      `w up@${2 ** 49 - 1}`,
      `v up@${2 ** 49} unknown@${2 ** 49 + 1}`,
    ]);
    expect((await ledger.stateHistories({ since: 101 })).map((h) => h.at)).toEqual([
      [150, 2 ** 51 + 3],
      [200, 300, 400],
      [2 ** 49 - 1],
      [2 ** 49, 2 ** 49 + 1],
    ]);
  });

  it("sees everything after reopening the file", async () => {
    const path = join(await tempDir(), "ledger.db");
    const first = ledgerAt(path);
    const { run } = await first.startRun("a", 0);
    await first.commit(run.id, [
      transition("x", "unknown", "down", 100),
      transition("y", "unknown", "up", 100),
    ]);
    await first.openGap({ instance: "a", kind: "blind", start: 150, end: null });
    await first.heartbeat(run.id, 300);
    const snapshot = {
      runs: await first.runs({}),
      transitions: await first.transitions({}),
      outages: await first.outages({}),
      gaps: await first.gaps({}),
      latest: await first.latestTransitions("a"),
    };
    await first.close();
    const second = ledgerAt(path);
    expect({
      runs: await second.runs({}),
      transitions: await second.transitions({}),
      outages: await second.outages({}),
      gaps: await second.gaps({}),
      latest: await second.latestTransitions("a"),
    }).toEqual(snapshot);
    const restart = await second.startRun("a", 1_000);
    expect(restart.previous).toEqual({ ...run, lastHeartbeat: 300 });
    expect(restart.gap).toEqual({ instance: "a", kind: "restart", start: 300, end: 1_000 });
  });

  it("commits a batch of 2,000 transitions as ONE transaction (one WAL commit frame)", async () => {
    const path = join(await tempDir(), "ledger.db");
    const ledger = ledgerAt(path);
    const { run } = await ledger.startRun("a", 0);
    const checkpointer = rawAt(path);
    const resetWal = (): void => {
      const [result] = checkpointer.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
      expect(result?.busy).toBe(0);
      expect(statSync(`${path}-wal`).size).toBe(0);
    };

    resetWal();
    const down = Array.from({ length: 1_000 }, (_, i) =>
      transition(`t${i}`, "unknown", "down", 1_000 + i),
    );
    const up = down.map((t) => transition(t.targetId, "down", "up", t.at + 1_000));
    await ledger.commit(run.id, [...down, ...up]);
    expect(walCommits(`${path}-wal`)).toEqual({ commits: 1, frames: expect.any(Number) });
    expect(walCommits(`${path}-wal`).frames).toBeGreaterThan(10);

    // the counter is real: two commits are two transactions
    resetWal();
    await ledger.commit(run.id, [transition("t0", "up", "down", 9_000)]);
    await ledger.commit(run.id, [transition("t0", "down", "up", 9_500)]);
    expect(walCommits(`${path}-wal`).commits).toBe(2);
  });
});

const EMPTY_SHA256 = createHash("sha256").digest("hex");

/** Content hashes of the database file and its WAL: what a read-only open must not change. */
function fingerprint(path: string): Record<string, string | null> {
  const hash = (file: string): string | null =>
    existsSync(file) ? createHash("sha256").update(readFileSync(file)).digest("hex") : null;
  return { db: hash(path), wal: hash(`${path}-wal`) };
}

/**
 * Counts the transactions in a WAL file: every commit ends with a frame whose header carries the
 * database size after the commit (non-zero); other frames carry 0. Only frames with the header's
 * salts belong to the current WAL generation. Format: https://sqlite.org/fileformat2.html#walformat
 */
function walCommits(walPath: string): { commits: number; frames: number } {
  const wal = readFileSync(walPath);
  if (wal.length < 32) return { commits: 0, frames: 0 };
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let commits = 0;
  let frames = 0;
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    if (wal.readUInt32BE(offset + 8) !== salt1 || wal.readUInt32BE(offset + 12) !== salt2) break;
    frames++;
    if (wal.readUInt32BE(offset + 4) !== 0) commits++;
  }
  return { commits, frames };
}
