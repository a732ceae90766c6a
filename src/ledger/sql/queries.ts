import { LedgerError } from "../errors.js";
import type {
  LastTransitionQuery,
  OutageQuery,
  QuorumVoteRecord,
  TargetFilter,
  TimeRange,
  TransitionQuery,
} from "../ledger.js";
import { GAP_COLUMNS, OUTAGE_COLUMNS, RUN_COLUMNS, TRANSITION_COLUMNS } from "./rows.js";

/**
 * Read queries built from filters, in portable SQL with `?` placeholders (a PostgreSQL store
 * numbers them `$1…`). Range semantics, shared by every store:
 * - transitions: `since <= at < until`;
 * - outages and gaps: the interval [start, end) OVERLAPS [since, until): start < until and
 *   (end is null or end > since) — an outage ending exactly at `since` is outside;
 * - runs: [startedAt, lastHeartbeat] overlaps: startedAt < until and lastHeartbeat >= since.
 */

export type SqlParam = string | number;

export interface SqlQuery {
  sql: string;
  params: SqlParam[];
}

class Where {
  readonly clauses: string[] = [];
  readonly params: SqlParam[] = [];

  add(clause: string, ...params: SqlParam[]): void {
    this.clauses.push(clause);
    this.params.push(...params);
  }

  toSql(): string {
    return this.clauses.length === 0 ? "" : ` WHERE ${this.clauses.join(" AND ")}`;
  }
}

function checkTime(name: string, value: number | undefined): value is number {
  if (value === undefined) return false;
  if (!Number.isFinite(value)) {
    throw new LedgerError("LEDGER_INVALID", `${name} must be a finite epoch-ms number`, {
      [name]: String(value),
    });
  }
  return true;
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new LedgerError("LEDGER_INVALID", "limit must be a non-negative integer", {
      limit: String(limit),
    });
  }
}

function addTargetFilter(where: Where, filter: TargetFilter): void {
  if (filter.instance !== undefined) where.add("instance = ?", filter.instance);
  if (filter.targetId !== undefined) where.add("target_id = ?", filter.targetId);
  if (filter.service !== undefined) where.add("service = ?", filter.service);
  if (filter.site !== undefined) where.add("site = ?", filter.site);
}

function addOverlap(where: Where, range: TimeRange, start: string, end: string): void {
  if (checkTime("until", range.until)) where.add(`${start} < ?`, range.until);
  if (checkTime("since", range.since)) where.add(`(${end} IS NULL OR ${end} > ?)`, range.since);
}

/**
 * With a target, SQLite (which has no statistics on a read-only ledger) plans `instance = ?
 * AND at` ranges on the (instance, at) index and reads every target's transitions in the range;
 * `(instance || '') = ?` is the same test on no index, leaving it the (target_id, at) one.
 */
function addTransitionTargetFilter(where: Where, filter: TargetFilter): void {
  const { instance, targetId } = filter;
  if (instance !== undefined && targetId !== undefined) {
    where.add("(instance || '') = ?", instance);
    addTargetFilter(where, { ...filter, instance: undefined });
  } else {
    addTargetFilter(where, filter);
  }
}

/** Ordered by `at` then id; with `limit`, the newest `limit` rows, still in ascending order. */
export function transitionsQuery(query: TransitionQuery): SqlQuery {
  const where = new Where();
  addTransitionTargetFilter(where, query);
  if (checkTime("since", query.since)) where.add("at >= ?", query.since);
  if (checkTime("until", query.until)) where.add("at < ?", query.until);
  const select = `SELECT ${TRANSITION_COLUMNS} FROM transitions${where.toSql()}`;
  if (query.limit === undefined) return { sql: `${select} ORDER BY at, id`, params: where.params };
  checkLimit(query.limit);
  return {
    sql: `SELECT ${TRANSITION_COLUMNS} FROM (${select} ORDER BY at DESC, id DESC LIMIT ?) newest ORDER BY at, id`,
    params: [...where.params, query.limit],
  };
}

/**
 * Each known target's last transition before `before`: one indexed seek per row of
 * target_states (which lists every target ever moved) instead of a query per target.
 * Service and site are matched on the transition, so a target that changed service is found
 * under the service it had then.
 */
export function lastTransitionsBeforeQuery(query: LastTransitionQuery): SqlQuery {
  const seek = new Where();
  seek.add("x.instance = s.instance");
  seek.add("x.target_id = s.target_id");
  if (query.service !== undefined) seek.add("x.service = ?", query.service);
  if (query.site !== undefined) seek.add("x.site = ?", query.site);
  if (checkTime("before", query.before)) seek.add("x.at < ?", query.before);
  const targets = new Where();
  if (query.instance !== undefined) targets.add("s.instance = ?", query.instance);
  if (query.targetId !== undefined) targets.add("s.target_id = ?", query.targetId);
  const columns = TRANSITION_COLUMNS.split(", ").map((column) => `t.${column}`);
  const latest = `SELECT x.id FROM transitions x${seek.toSql()} ORDER BY x.at DESC, x.id DESC LIMIT 1`;
  return {
    sql:
      `SELECT ${columns.join(", ")} FROM target_states s JOIN transitions t ON t.id = (${latest})` +
      `${targets.toSql()} ORDER BY s.instance, s.target_id`,
    params: [...seek.params, ...targets.params],
  };
}

/**
 * The lean columns of transitions in the range, by time (the (at, id) index order: no sort),
 * in StateHistoryRow's order. Each further column costs: a million rows are stepped through.
 */
export function stateHistoryQuery(query: TargetFilter & TimeRange): SqlQuery {
  const where = new Where();
  addTargetFilter(where, query);
  if (checkTime("since", query.since)) where.add("at >= ?", query.since);
  if (checkTime("until", query.until)) where.add("at < ?", query.until);
  return {
    sql: `SELECT instance, target_id, to_state, at FROM transitions${where.toSql()} ORDER BY at, id`,
    params: where.params,
  };
}

/** Every target ever moved (optionally of one instance, or one target id), by instance and id. */
export function knownTargetsQuery(filter: Pick<TargetFilter, "instance" | "targetId">): SqlQuery {
  const where = new Where();
  if (filter.instance !== undefined) where.add("instance = ?", filter.instance);
  if (filter.targetId !== undefined) where.add("target_id = ?", filter.targetId);
  return {
    sql: `SELECT instance, target_id FROM target_states${where.toSql()} ORDER BY instance, target_id`,
    params: where.params,
  };
}

/**
 * One target's (at, to_state) in the range, by time: a seek and a walk along the covering
 * (instance, target_id, at, id, to_state) index. Params: instance, target_id, then the range's.
 */
export function targetHistoryQuery(range: TimeRange): SqlQuery {
  const { clause, params } = targetRange(range);
  return { sql: `SELECT at, to_state FROM transitions${clause} ORDER BY at, id`, params };
}

/**
 * As targetHistoryQuery, each row packed into one integer, at × 16 + the length of its state's
 * name (unknown 7, up 2, degraded 8, down 4: distinct, and cheaper for SQLite than a CASE over
 * the names): one number per row is the cheapest thing to step through. NULL for a row whose
 * at is not an integer; the reader checks that the value is a safe integer (|at| < 2^49).
 */
export function packedTargetHistoryQuery(range: TimeRange): SqlQuery {
  const { clause, params } = targetRange(range);
  const packed = "CASE typeof(at) WHEN 'integer' THEN at * 16 + length(to_state) END";
  return { sql: `SELECT ${packed} FROM transitions${clause} ORDER BY at, id`, params };
}

/** The id of one target's first transition in the range (params as targetHistoryQuery). */
export function targetFirstIdQuery(range: TimeRange): SqlQuery {
  const { clause, params } = targetRange(range);
  return { sql: `SELECT id FROM transitions${clause} ORDER BY at, id LIMIT 1`, params };
}

function targetRange(range: TimeRange): { clause: string; params: SqlParam[] } {
  const where = new Where();
  where.add("instance = ?");
  where.add("target_id = ?");
  if (checkTime("since", range.since)) where.add("at >= ?", range.since);
  if (checkTime("until", range.until)) where.add("at < ?", range.until);
  return { clause: where.toSql(), params: where.params };
}

/** Outages overlapping the range, ordered by start then id. */
export function outagesQuery(query: OutageQuery): SqlQuery {
  const where = new Where();
  addTargetFilter(where, query);
  addOverlap(where, query, "start_at", "end_at");
  if (query.open === true) where.add("end_at IS NULL");
  if (query.open === false) where.add("end_at IS NOT NULL");
  const { after } = query;
  if (after !== undefined && checkTime("after.start", after.start)) {
    // the first test is a range on the start index, so a page does not rescan the ones before
    where.add("start_at >= ?", after.start);
    where.add("(start_at > ? OR id > ?)", after.start, after.id);
  }
  const sql = `SELECT ${OUTAGE_COLUMNS} FROM outages${where.toSql()} ORDER BY start_at, id`;
  if (query.limit === undefined) return { sql, params: where.params };
  checkLimit(query.limit);
  return { sql: `${sql} LIMIT ?`, params: [...where.params, query.limit] };
}

/** Gaps overlapping the range, ordered by start then id. */
export function gapsQuery(query: { instance?: string } & TimeRange): SqlQuery {
  const where = new Where();
  if (query.instance !== undefined) where.add("instance = ?", query.instance);
  addOverlap(where, query, "start_at", "end_at");
  return {
    sql: `SELECT ${GAP_COLUMNS} FROM gaps${where.toSql()} ORDER BY start_at, id`,
    params: where.params,
  };
}

/** Runs whose [startedAt, lastHeartbeat] overlaps the range, ordered by start then id. */
export function runsQuery(query: { instance?: string } & TimeRange): SqlQuery {
  const where = new Where();
  if (query.instance !== undefined) where.add("instance = ?", query.instance);
  if (checkTime("until", query.until)) where.add("started_at < ?", query.until);
  if (checkTime("since", query.since)) where.add("last_heartbeat >= ?", query.since);
  return {
    sql: `SELECT ${RUN_COLUMNS} FROM runs${where.toSql()} ORDER BY started_at, id`,
    params: where.params,
  };
}

/** Ids per IN list: SQLite binds at most 32,766 parameters, PostgreSQL 65,535; this stays far below. */
const IN_CHUNK = 500;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += IN_CHUNK) out.push(list.slice(i, i + IN_CHUNK));
  return out;
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");

/** The open outages of `instance` among `targetIds`, in chunks (the open-outage index serves each). */
export function openOutagesOfQueries(instance: string, targetIds: readonly string[]): SqlQuery[] {
  return chunks([...new Set(targetIds)]).map((ids) => ({
    sql: `SELECT ${OUTAGE_COLUMNS} FROM outages WHERE instance = ? AND end_at IS NULL AND target_id IN (${placeholders(ids.length)})`,
    params: [instance, ...ids],
  }));
}

export interface QuorumVoteRow {
  transition_id: number;
  vantage: string;
  vote: QuorumVoteRecord["vote"];
  since: number | null;
}

export function quorumVotesQueries(transitionIds: readonly number[]): SqlQuery[] {
  return chunks([...new Set(transitionIds)]).map((ids) => ({
    sql: `SELECT transition_id, vantage, vote, since FROM quorum_votes WHERE transition_id IN (${placeholders(ids.length)}) ORDER BY transition_id, vantage`,
    params: ids,
  }));
}

export function groupVotes(rows: readonly QuorumVoteRow[]): Map<number, QuorumVoteRecord[]> {
  const votes = new Map<number, QuorumVoteRecord[]>();
  for (const row of rows) {
    const id = row.transition_id;
    let list = votes.get(id);
    if (list === undefined) {
      list = [];
      votes.set(id, list);
    }
    list.push({ vantage: row.vantage, vote: row.vote, since: row.since });
  }
  return votes;
}
