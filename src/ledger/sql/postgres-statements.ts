import type pg from "pg";
import type { NewTransition, StoredTransition } from "../ledger.js";
import { type ChainLink, noOpenOutage, storedTransition } from "./checks.js";
import { postgresSql } from "./dialect.js";
import type { SqlParam } from "./queries.js";
import {
  closeOutageParams,
  insertTransitionParams,
  openOutageParams,
  type RunRow,
} from "./rows.js";
import { SQL } from "./statements.js";

/**
 * The PostgreSQL statements of the ledger: the shared portable SQL run through the one
 * placeholder conversion, plus the locks that keep several daemons' commits apart.
 */

export type Param = SqlParam | null | readonly string[];
export type Queryable = pg.Pool | pg.PoolClient;

/** Namespace of the per-instance advisory locks taken by startRun and commit. */
const INSTANCE_LOCK = 7_242_014;
const LOCK_TARGETS = `SELECT target_id, state, at FROM target_states
  WHERE instance = $1 AND target_id = ANY($2::text[]) ORDER BY target_id FOR UPDATE`;

/** Serialises this transaction's writes with every other writer of `instance`, to its end. */
export async function lockInstance(client: pg.PoolClient, instance: string): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [INSTANCE_LOCK, instance]);
}

export async function all<Row extends pg.QueryResultRow>(
  db: Queryable,
  sql: string,
  params: readonly Param[],
): Promise<Row[]> {
  return (await db.query<Row>(postgresSql(sql), [...params])).rows;
}

/** Rows as arrays in the select list's order: no object per row for long, lean reads. */
export async function allArrays<Row extends unknown[]>(
  db: Queryable,
  sql: string,
  params: readonly Param[],
): Promise<Row[]> {
  const result = await db.query<Row>({
    text: postgresSql(sql),
    values: [...params],
    rowMode: "array",
  });
  return result.rows;
}

export async function one<Row extends pg.QueryResultRow>(
  db: Queryable,
  sql: string,
  params: readonly Param[],
): Promise<Row | undefined> {
  return (await all<Row>(db, sql, params))[0];
}

/** Runs a statement; gives the number of rows it changed. */
export async function execute(
  db: Queryable,
  sql: string,
  params: readonly Param[],
): Promise<number> {
  return (await db.query(postgresSql(sql), [...params])).rowCount ?? 0;
}

/**
 * Locks the batch's targets for this instance (advisory lock per instance: rows not yet in
 * target_states cannot be locked; FOR UPDATE on those that are) and gives their last links.
 */
export async function lockTargets(
  client: pg.PoolClient,
  instance: string,
  batch: readonly NewTransition[],
): Promise<Map<string, ChainLink>> {
  await lockInstance(client, instance);
  const targets = [...new Set(batch.map((t) => t.targetId))];
  const rows = await client.query<{ target_id: string; state: string; at: number }>(LOCK_TARGETS, [
    instance,
    targets,
  ]);
  return new Map(rows.rows.map((row) => [row.target_id, { state: row.state, at: row.at }]));
}

/** Writes a checked batch one transition at a time (a target may move twice in it). */
export async function insertEach(
  client: pg.PoolClient,
  run: RunRow,
  batch: readonly NewTransition[],
): Promise<StoredTransition[]> {
  const stored: StoredTransition[] = [];
  for (const transition of batch) {
    const saved = await insertTransition(client, run, transition);
    if (transition.to === "down") await openOutage(client, saved);
    else if (transition.from === "down") await closeOutage(client, saved);
    stored.push(saved);
  }
  return stored;
}

async function insertTransition(
  client: pg.PoolClient,
  run: RunRow,
  t: NewTransition,
): Promise<StoredTransition> {
  const params = insertTransitionParams(run.id, run.instance, t);
  const row = await one<{ id: number }>(client, SQL.insertTransition, params);
  if (row === undefined) throw new Error("INSERT … RETURNING id returned no row");
  await execute(client, SQL.upsertTargetState, [run.instance, t.targetId, t.to, t.at, row.id]);
  return storedTransition(row.id, run.id, run.instance, t);
}

async function openOutage(client: pg.PoolClient, t: StoredTransition): Promise<void> {
  await execute(client, SQL.openOutage, openOutageParams(t));
}

async function closeOutage(client: pg.PoolClient, t: StoredTransition): Promise<void> {
  if ((await execute(client, SQL.closeOutage, closeOutageParams(t))) !== 1) throw noOpenOutage(t);
}
