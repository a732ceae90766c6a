import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { LedgerError } from "../errors.js";
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  migrationStatements,
  SCHEMA_MIGRATIONS_TABLE,
} from "./migrations.js";
import { PUSH_SQL, type PushRow } from "./pushes.js";
import type { GapRow, LeaderRow, RunRow, TargetStateRow, TransitionRow } from "./rows.js";
import { SQL } from "./statements.js";

/**
 * The SQLite side of the SQL layer: opening a file with the pragmas the ledger relies on,
 * running (or, read-only, only checking) the migrations, and preparing the fixed statements.
 */

// better-sqlite3 takes URI filenames (`file:…?immutable=1`) only when SQLITE_USE_URI=1 as its
// addon loads (at the first open in the process): set here, before any open
process.env.SQLITE_USE_URI ??= "1";

/**
 * Opens `path`; the writer creates the parent directory, sets WAL + synchronous=FULL and
 * migrates; a read-only open never writes and requires a fully migrated file.
 * Throws `LedgerError` `LEDGER_OPEN` (with `path`) or `LEDGER_SCHEMA`.
 */
export function openSqliteConnection(
  path: string,
  readonly: boolean,
  busyTimeoutMs: number,
  mode: { immutable: boolean } = { immutable: false },
): Database.Database {
  const db = connect(path, readonly, mode.immutable);
  try {
    configure(db, readonly, busyTimeoutMs);
    if (readonly) checkSchema(db, path);
    else migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof LedgerError) throw error;
    throw new LedgerError(
      "LEDGER_OPEN",
      `cannot open ledger ${path}: ${String(error)}`,
      { path, readonly },
      { cause: error },
    );
  }
}

function connect(path: string, readonly: boolean, immutable: boolean): Database.Database {
  const inMemory = path === ":memory:" || path === "";
  if (readonly && !inMemory && !existsSync(path)) {
    throw new LedgerError("LEDGER_OPEN", `ledger file does not exist: ${path}`, {
      path,
      readonly,
    });
  }
  try {
    if (!readonly && !inMemory) mkdirSync(dirname(path), { recursive: true });
    // immutable: SQLite reads the file as it is, creating nothing beside it (a read-only
    // filesystem); only a URI filename can say so
    const name = immutable ? `${pathToFileURL(resolve(path)).href}?immutable=1` : path;
    return new Database(name, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw new LedgerError(
      "LEDGER_OPEN",
      `cannot open ledger ${path}: ${String(error)}`,
      { path, readonly },
      { cause: error },
    );
  }
}

function configure(db: Database.Database, readonly: boolean, busyTimeoutMs: number): void {
  // first, so that the pragmas below already wait for a busy writer
  db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  db.pragma("foreign_keys = ON");
  if (readonly) {
    db.pragma("query_only = ON");
    return;
  }
  // journal_mode is stored in the file: setting it is a write, so only the writer does
  const mode = String(db.pragma("journal_mode = WAL", { simple: true }));
  if (mode !== "wal" && !db.memory)
    throw new Error(`journal_mode is ${mode}, WAL could not be set`);
  db.pragma("synchronous = FULL");
}

function schemaVersion(db: Database.Database): number | null {
  const table = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    )
    .get();
  if (table === undefined) return null;
  const row = db
    .prepare<[], { version: number | null }>(
      "SELECT MAX(version) AS version FROM schema_migrations",
    )
    .get();
  return row?.version ?? 0;
}

function checkSchema(db: Database.Database, path: string): void {
  const version = schemaVersion(db);
  if (version === LATEST_SCHEMA_VERSION) return;
  const found = version ?? "none";
  const message =
    version !== null && version > LATEST_SCHEMA_VERSION
      ? `ledger ${path} has schema version ${version}, newer than this pantau (${LATEST_SCHEMA_VERSION})`
      : `ledger ${path} has schema version ${found}, expected ${LATEST_SCHEMA_VERSION}: start the daemon once to migrate it`;
  throw new LedgerError("LEDGER_SCHEMA", message, {
    path,
    found: version,
    expected: LATEST_SCHEMA_VERSION,
  });
}

function migrate(db: Database.Database, path: string): void {
  db.exec(SCHEMA_MIGRATIONS_TABLE);
  const applied = db.prepare<[number], { version: number }>(
    "SELECT version FROM schema_migrations WHERE version = ?",
  );
  const record = db.prepare<[number, string, number]>(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
  );
  const newest = schemaVersion(db) ?? 0;
  if (newest > LATEST_SCHEMA_VERSION) checkSchema(db, path);
  for (const migration of MIGRATIONS) {
    // IMMEDIATE + re-check: two writers opening at once apply each step exactly once
    db.transaction(() => {
      if (applied.get(migration.version) !== undefined) return;
      for (const sql of migrationStatements(migration, "sqlite")) db.exec(sql);
      record.run(migration.version, migration.name, Date.now());
    }).immediate();
  }
}

type Id = { id: number };
type Flag = 0 | 1;
type Text = string | null;

/** Prepared once per connection: the write path never parses SQL. */
export function prepareStatements(db: Database.Database) {
  return {
    previousRun: db.prepare<[string], RunRow>(SQL.previousRun),
    runById: db.prepare<[number], RunRow>(SQL.runById),
    insertRun: db.prepare<[string, number, number, string | null, string | null], Id>(
      SQL.insertRun,
    ),
    groupAlive: db.prepare<[string, number], { n: number }>(SQL.groupAlive),
    groupLastHeartbeat: db.prepare<[string], { last: number | null }>(SQL.groupLastHeartbeat),
    leader: db.prepare<[string], LeaderRow>(SQL.leader),
    claimLeader: db.prepare<[string, number, number], { epoch: number }>(SQL.claimLeader),
    heartbeat: db.prepare<[number, number]>(SQL.heartbeat),
    stopRun: db.prepare<[number, number, number]>(SQL.stopRun),
    insertGap: db.prepare<[string, string, number, number | null], Id>(SQL.insertGap),
    gapById: db.prepare<[number], GapRow>(SQL.gapById),
    closeGap: db.prepare<[number, number, number]>(SQL.closeGap),
    insertTransition: db.prepare<
      [
        number,
        string,
        string,
        string,
        string,
        string,
        string,
        number,
        number,
        Text,
        Text,
        Text,
        Flag,
        number | null,
      ],
      Id
    >(SQL.insertTransition),
    targetState: db.prepare<[string, string], TargetStateRow>(SQL.targetState),
    upsertTargetState: db.prepare<[string, string, string, number, number]>(SQL.upsertTargetState),
    latestTransitions: db.prepare<[string], TransitionRow>(SQL.latestTransitions),
    openOutage: db.prepare<
      [
        string,
        string,
        string,
        string,
        number,
        number,
        Text,
        Text,
        Text,
        Flag,
        number | null,
        number | null,
        number,
      ]
    >(SQL.openOutage),
    settleOutage: db.prepare<[number, string, string]>(SQL.settleOutage),
    quorumMembers: db.prepare<[string], RunRow>(SQL.quorumMembers),
    transitionsAfter: db.prepare<[string, number, number], TransitionRow>(SQL.transitionsAfter),
    insertQuorumVote: db.prepare<[number, string, string, number | null]>(SQL.insertQuorumVote),
    closeOutage: db.prepare<[number, number | null, string, number, Flag, string, string]>(
      SQL.closeOutage,
    ),
    attributeOutage: db.prepare<[string, string, string]>(SQL.attributeOutage),
    releaseOutage: db.prepare<[number, string, string]>(SQL.releaseOutage),
    upsertPush: db.prepare<[string, string, number, string, string]>(PUSH_SQL.upsert),
    lastPushes: db.prepare<[string], PushRow>(PUSH_SQL.last),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
