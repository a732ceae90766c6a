import pg from "pg";
import { LedgerError } from "../errors.js";
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  migrationStatements,
  SCHEMA_MIGRATIONS_TABLE,
} from "./migrations.js";

/**
 * The PostgreSQL side of the SQL layer: the pool (BIGINT read as JS numbers, read-only sessions
 * for the CLI, a deadline on every query), the URL as it may be shown (never its password), and
 * migrating under an advisory lock so that daemons starting together apply each step exactly once.
 */

/** Key of the transaction-level advisory lock held while migrating (any constant would do). */
const MIGRATION_LOCK = 7_242_013;

/** The deadlines of one pool's queries, in milliseconds. */
export interface QueryDeadlines {
  /** Server side (statement_timeout): the server cancels the statement, the session stays usable. */
  statementMs: number;
  /** Client side (pg's query_timeout): for a server that cannot answer at all. */
  queryMs: number;
}

/**
 * Why these numbers. A daemon's slowest legitimate queries are its reads of a month (the API's
 * report and outages over 31 days of 10,000 targets: 0.5 s and 6.5 s with the answer built,
 * docs/performance.md) and a backlog commit of 1,000 transitions (milliseconds): 30 s is far
 * beyond them, and still turns a lock wait or a hung backend into a failed commit that the
 * commit queue retries and reports instead of a silent wait. The offline CLI reads more at once
 * (a year, a whole estate) and holds nothing anyone else waits for: 10 min. The client's bound
 * is 5 s longer, so that a live server's cancel always arrives first (the connection is kept);
 * only a server that cannot answer reaches it, and that connection is dropped.
 */
const CLIENT_MARGIN_MS = 5_000;
export const DAEMON_STATEMENT_TIMEOUT_MS = 30_000;
export const READONLY_STATEMENT_TIMEOUT_MS = 600_000;
/**
 * Migrations run with statement_timeout 0: an index built over a large ledger takes what it
 * takes, and cancelling it would leave a daemon that can never start. A server that cannot
 * answer still ends a migration statement after an hour.
 */
const MIGRATION_QUERY_TIMEOUT_MS = 3_600_000;

/** The defaults for a daemon's or the CLI's sessions; a test may shorten either bound. */
export function queryDeadlines(
  readonly: boolean,
  statementMs?: number,
  queryMs?: number,
): QueryDeadlines {
  const statement =
    statementMs ?? (readonly ? READONLY_STATEMENT_TIMEOUT_MS : DAEMON_STATEMENT_TIMEOUT_MS);
  return { statementMs: statement, queryMs: queryMs ?? statement + CLIENT_MARGIN_MS };
}

/** pg's error when query_timeout ends a query (it has no code). */
const QUERY_READ_TIMEOUT = "Query read timeout";

/** The client gave up on a query already sent: its connection is half-open, never reuse it. */
export function isQueryReadTimeout(error: unknown): error is Error {
  return error instanceof Error && error.message === QUERY_READ_TIMEOUT;
}

/** 57014 is also an operator's pg_cancel_backend: only the statement_timeout's is a timeout. */
function isStatementTimeout(error: Error): boolean {
  return "code" in error && error.code === "57014" && error.message.includes("statement timeout");
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${ms / 1000} s`;
}

/** A query that outlived either deadline, as LEDGER_TIMEOUT; null for any other error. */
export function timeoutError(
  error: unknown,
  deadlines: QueryDeadlines,
  location: PostgresLocation,
): LedgerError | null {
  if (!(error instanceof Error)) return null;
  const side = isStatementTimeout(error)
    ? "statement_timeout"
    : isQueryReadTimeout(error)
      ? "query_timeout"
      : null;
  if (side === null) return null;
  const ms = side === "statement_timeout" ? deadlines.statementMs : deadlines.queryMs;
  return new LedgerError(
    "LEDGER_TIMEOUT",
    `ledger query timed out after ${duration(ms)} (${side}) on ${location.url}: ${error.message}`,
    { url: location.url, timeout: side, timeout_ms: ms },
    { cause: error },
  );
}

/** Where the ledger is, fit for messages and logs: no password, no query parameters. */
export interface PostgresLocation {
  /** postgres://user@host:port/database */
  url: string;
  host: string;
  database: string;
}

export function describeUrl(url: string): PostgresLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // the text itself may hold a password: never echo it
    throw new LedgerError("LEDGER_OPEN", "storage.url is not a postgres://user@host/db URL", {});
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new LedgerError(
      "LEDGER_OPEN",
      `storage.url must be postgres://, not ${parsed.protocol}`,
      {
        protocol: parsed.protocol,
      },
    );
  }
  const host = parsed.host || parsed.searchParams.get("host") || "localhost";
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(default)";
  const user = parsed.username === "" ? "" : `${parsed.username}@`;
  return { url: `postgres://${user}${host}/${database}`, host, database };
}

/** BIGINT (oid 20) as a JS number: epoch ms and ids stay far below 2^53. Per pool, not global. */
function bigintAsNumber(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(20, (text: string) => Number(text));
  return types;
}

/** Removes the password from a driver message, should a driver ever put it there. */
export function scrub(text: string, url: string): string {
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return text;
  }
  return password === "" ? text : text.replaceAll(password, "***");
}

export function openError(
  location: PostgresLocation,
  rawUrl: string,
  readonly: boolean,
  error: unknown,
): LedgerError {
  if (error instanceof LedgerError) return error;
  const reason = scrub(error instanceof Error ? error.message : String(error), rawUrl);
  return new LedgerError(
    "LEDGER_OPEN",
    `cannot open ledger ${location.url}: ${reason}`,
    { url: location.url, host: location.host, database: location.database, readonly },
    // the cause is the driver's error: it carries no connection string
    { cause: error },
  );
}

export function createPool(
  url: string,
  readonly: boolean,
  poolSize: number,
  deadlines: QueryDeadlines,
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: bigintAsNumber(),
    connectionTimeoutMillis: 10_000,
    // sent at login: every statement of the session has it (migrations lift it, see migrate)
    statement_timeout: deadlines.statementMs,
    // pg-pool's query() releases a client whose query timed out with the error: it is destroyed
    query_timeout: deadlines.queryMs,
    // the server itself refuses writes from the CLI's sessions
    ...(readonly ? { options: "-c default_transaction_read_only=on" } : {}),
  });
  // a connection lost while idle, or while the pool is ending it (a server shutting down sends
  // FATAL 57P01 then), must not crash the daemon: a query on it reports the loss
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  return pool;
}

async function schemaVersion(client: pg.PoolClient): Promise<number | null> {
  const table = await client.query<{ name: string | null }>(
    "SELECT to_regclass('schema_migrations')::text AS name",
  );
  if ((table.rows[0]?.name ?? null) === null) return null;
  const row = await client.query<{ version: number | null }>(
    "SELECT MAX(version) AS version FROM schema_migrations",
  );
  return row.rows[0]?.version ?? 0;
}

/** Throws LEDGER_SCHEMA unless the database holds exactly this build's schema version. */
export async function checkSchema(
  client: pg.PoolClient,
  location: PostgresLocation,
): Promise<void> {
  const version = await schemaVersion(client);
  if (version === LATEST_SCHEMA_VERSION) return;
  const found = version ?? "none";
  const message =
    version !== null && version > LATEST_SCHEMA_VERSION
      ? `ledger ${location.url} has schema version ${version}, newer than this pantau (${LATEST_SCHEMA_VERSION})`
      : `ledger ${location.url} has schema version ${found}, expected ${LATEST_SCHEMA_VERSION}: start the daemon once to migrate it`;
  throw new LedgerError("LEDGER_SCHEMA", message, {
    url: location.url,
    found: version,
    expected: LATEST_SCHEMA_VERSION,
  });
}

/** Applies the missing steps in ONE transaction under an advisory lock (DDL is transactional). */
export async function migrate(client: pg.PoolClient, location: PostgresLocation): Promise<void> {
  await client.query("BEGIN");
  try {
    // for this transaction only: waiting for another daemon's migration, building indexes
    await client.query("SET LOCAL statement_timeout = 0");
    const slow = (text: string, values: unknown[] = []) => {
      // pg reads query_timeout per query too; its types do not list it
      const query: pg.QueryConfig & { query_timeout: number } = {
        text,
        values,
        query_timeout: MIGRATION_QUERY_TIMEOUT_MS,
      };
      return client.query(query);
    };
    await slow("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(SCHEMA_MIGRATIONS_TABLE);
    const newest = (await schemaVersion(client)) ?? 0;
    if (newest > LATEST_SCHEMA_VERSION) await checkSchema(client, location);
    for (const migration of MIGRATIONS) {
      if (migration.version <= newest) continue;
      for (const sql of migrationStatements(migration, "postgres")) await slow(sql);
      await client.query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        [migration.version, migration.name, Date.now()],
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    // after a client-side timeout the connection is half-open: a ROLLBACK would only wait behind
    if (!isQueryReadTimeout(error)) await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
