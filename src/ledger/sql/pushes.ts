import { LedgerError } from "../errors.js";
import type { PushRecord } from "../ledger.js";

/**
 * The last push of each push target (table `last_pushes`, schema version 5): the portable
 * statements, PostgreSQL's one-statement batch, and the checks both stores make first.
 */

export interface PushRow {
  target_id: string;
  pushed_at: number;
  status: PushRecord["status"];
  message: string;
}

export const PUSH_SQL = {
  /** (instance, target_id, pushed_at, status, message) */
  upsert: `INSERT INTO last_pushes (instance, target_id, pushed_at, status, message)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (instance, target_id)
    DO UPDATE SET pushed_at = excluded.pushed_at, status = excluded.status, message = excluded.message`,
  /** (instance) → each target's last push, by target id */
  last: `SELECT target_id, pushed_at, status, message FROM last_pushes
    WHERE instance = ? ORDER BY target_id`,
} as const;

/** PostgreSQL: a whole batch in one statement ($1 the instance, then one array per column). */
export const UPSERT_PUSHES_POSTGRES = `INSERT INTO last_pushes (instance, target_id, pushed_at, status, message)
  SELECT $1, u.target_id, u.pushed_at, u.status, u.message
  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[])
    AS u(target_id, pushed_at, status, message)
  ON CONFLICT (instance, target_id)
  DO UPDATE SET pushed_at = excluded.pushed_at, status = excluded.status, message = excluded.message`;

/**
 * What a batch writes: each push checked, and only the last of each target, by target id (an
 * upsert may not touch a row twice in one statement, and one lock order keeps writers apart).
 */
export function latestPushes(pushes: readonly PushRecord[]): PushRecord[] {
  const byTarget = new Map<string, PushRecord>();
  for (const [index, push] of pushes.entries()) {
    checkPush(push, index);
    byTarget.set(push.targetId, push);
  }
  return [...byTarget.values()].sort((a, b) =>
    a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0,
  );
}

function checkPush(push: PushRecord, index: number): void {
  const context = { targetId: push.targetId, index };
  if (push.status !== "ok" && push.status !== "fail") {
    const message = `push ${index} (${push.targetId}): status "${String(push.status)}" is not ok or fail`;
    throw new LedgerError("LEDGER_INVALID", message, context);
  }
  if (!Number.isSafeInteger(push.at) || push.at < 0) {
    const message = `push ${index} (${push.targetId}): time ${push.at} is not epoch milliseconds`;
    throw new LedgerError("LEDGER_INVALID", message, context);
  }
}

export function toPushRecord(row: PushRow): PushRecord {
  return { targetId: row.target_id, at: row.pushed_at, status: row.status, message: row.message };
}
