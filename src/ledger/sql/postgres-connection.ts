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
 * for the CLI), the URL as it may be shown (never its password), and migrating under an advisory
 * lock so that daemons starting together apply each step exactly once.
 */

/** Key of the transaction-level advisory lock held while migrating (any constant would do). */
const MIGRATION_LOCK = 7_242_013;

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

export function createPool(url: string, readonly: boolean, poolSize: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: bigintAsNumber(),
    connectionTimeoutMillis: 10_000,
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
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(SCHEMA_MIGRATIONS_TABLE);
    const newest = (await schemaVersion(client)) ?? 0;
    if (newest > LATEST_SCHEMA_VERSION) await checkSchema(client, location);
    for (const migration of MIGRATIONS) {
      if (migration.version <= newest) continue;
      for (const sql of migrationStatements(migration, "postgres")) await client.query(sql);
      await client.query(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        [migration.version, migration.name, Date.now()],
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
