import type pg from "pg";
import type { NewTransition, QuorumVoteRecord, StoredTransition } from "../ledger.js";
import { noOpenOutage, storedTransition } from "./checks.js";
import { endReasonOf, pageSettledAt, type RunRow } from "./rows.js";

/**
 * A checked batch in which every target appears once (a mass outage, a recovery) written with
 * one statement per table instead of one per transition: with thousands of targets the round
 * trips to the server, not the server, are what a commit waits on. Same rows as one by one.
 */

const INSERT_TRANSITIONS = `INSERT INTO transitions (run_id, instance, target_id, service, site,
    from_state, to_state, at, detected_at, reason, detail, blocked_by, maintenance,
    previous_probe_at)
  SELECT $1, $2, u.target_id, u.service, u.site, u.from_state, u.to_state, u.at, u.detected_at,
    u.reason, u.detail, u.blocked_by, u.maintenance, u.previous_probe_at
  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
    $9::bigint[], $10::text[], $11::text[], $12::text[], $13::integer[], $14::bigint[])
    WITH ORDINALITY
    AS u(target_id, service, site, from_state, to_state, at, detected_at, reason, detail,
      blocked_by, maintenance, previous_probe_at, ord)
  ORDER BY u.ord
  RETURNING id`;

const UPSERT_TARGET_STATES = `INSERT INTO target_states (instance, target_id, state, at, transition_id)
  SELECT $1, u.target_id, u.state, u.at, u.transition_id
  FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[])
    AS u(target_id, state, at, transition_id)
  ON CONFLICT (instance, target_id)
  DO UPDATE SET state = excluded.state, at = excluded.at, transition_id = excluded.transition_id`;

const OPEN_OUTAGES = `INSERT INTO outages (instance, target_id, service, site, start_at, end_at,
    detected_at, reason, detail, blocked_by, maintenance, end_reason, last_ok_at,
    page_settled_at, open_transition_id, close_transition_id)
  SELECT $1, u.target_id, u.service, u.site, u.start_at, NULL, u.detected_at, u.reason, u.detail,
    u.blocked_by, u.maintenance, NULL, u.last_ok_at, u.page_settled_at, u.transition_id, NULL
  FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[],
    $8::text[], $9::text[], $10::integer[], $11::bigint[], $12::bigint[], $13::bigint[])
    AS u(target_id, service, site, start_at, detected_at, reason, detail, blocked_by,
      maintenance, last_ok_at, page_settled_at, transition_id)`;

const CLOSE_OUTAGES = `UPDATE outages o SET end_at = u.end_at, end_reason = u.end_reason,
    close_transition_id = u.transition_id, last_failed_at = u.last_failed_at,
    maintenance = CASE WHEN o.maintenance = 1 OR u.maintenance = 1 THEN 1 ELSE 0 END
  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::integer[], $7::bigint[])
    AS u(target_id, end_at, end_reason, transition_id, maintenance, last_failed_at)
  WHERE o.instance = $1 AND o.target_id = u.target_id AND o.end_at IS NULL
  RETURNING o.target_id`;

const flag = (t: { maintenance: boolean }): number => (t.maintenance ? 1 : 0);

/** Whether `insertBatch` may write `batch`: no target twice (its rows would depend on order). */
export function fitsOneStatementPerTable(batch: readonly NewTransition[]): boolean {
  return new Set(batch.map((t) => t.targetId)).size === batch.length;
}

/** Writes a checked batch of distinct targets; gives the stored transitions in batch order. */
export async function insertBatch(
  client: pg.PoolClient,
  run: RunRow,
  batch: readonly NewTransition[],
): Promise<StoredTransition[]> {
  const inserted = await client.query<{ id: number }>(INSERT_TRANSITIONS, [
    run.id,
    run.instance,
    batch.map((t) => t.targetId),
    batch.map((t) => t.service),
    batch.map((t) => t.site),
    batch.map((t) => t.from),
    batch.map((t) => t.to),
    batch.map((t) => t.at),
    batch.map((t) => t.detectedAt),
    batch.map((t) => t.reason),
    batch.map((t) => t.detail),
    batch.map((t) => t.blockedBy),
    batch.map(flag),
    batch.map((t) => t.previousProbeAt),
  ]);
  // identity values are drawn in the ORDER BY order: ascending ids are the batch's order
  const ids = inserted.rows.map((row) => row.id).sort((x, y) => x - y);
  if (ids.length !== batch.length) throw new Error("INSERT … RETURNING id lost rows");
  const stored = batch.map((t, i) => storedTransition(ids[i] ?? 0, run.id, run.instance, t));
  await client.query(UPSERT_TARGET_STATES, [
    run.instance,
    stored.map((t) => t.targetId),
    stored.map((t) => t.to),
    stored.map((t) => t.at),
    stored.map((t) => t.id),
  ]);
  await closeOutages(
    client,
    run.instance,
    stored.filter((t) => t.from === "down"),
  );
  await openOutages(
    client,
    run.instance,
    stored.filter((t) => t.to === "down"),
  );
  return stored;
}

async function closeOutages(
  client: pg.PoolClient,
  instance: string,
  closing: readonly StoredTransition[],
): Promise<void> {
  if (closing.length === 0) return;
  const closed = await client.query<{ target_id: string }>(CLOSE_OUTAGES, [
    instance,
    closing.map((t) => t.targetId),
    closing.map((t) => t.at),
    closing.map(endReasonOf),
    closing.map((t) => t.id),
    closing.map(flag),
    closing.map((t) => t.previousProbeAt),
  ]);
  if (closed.rows.length === closing.length) return;
  const found = new Set(closed.rows.map((row) => row.target_id));
  const missing = closing.find((t) => !found.has(t.targetId));
  if (missing !== undefined) throw noOpenOutage(missing);
}

async function openOutages(
  client: pg.PoolClient,
  instance: string,
  opening: readonly StoredTransition[],
): Promise<void> {
  if (opening.length === 0) return;
  await client.query(OPEN_OUTAGES, [
    instance,
    opening.map((t) => t.targetId),
    opening.map((t) => t.service),
    opening.map((t) => t.site),
    opening.map((t) => t.at),
    opening.map((t) => t.detectedAt),
    opening.map((t) => t.reason),
    opening.map((t) => t.detail),
    opening.map((t) => t.blockedBy),
    opening.map(flag),
    opening.map((t) => t.previousProbeAt),
    opening.map(pageSettledAt),
    opening.map((t) => t.id),
  ]);
}

const INSERT_VOTES = `INSERT INTO quorum_votes (transition_id, vantage, vote, since)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])`;

/** The votes of each stored quorum transition (`votes[i]` for `stored[i]`), in one statement. */
export async function insertVotes(
  client: pg.PoolClient,
  stored: readonly StoredTransition[],
  votes: readonly (readonly QuorumVoteRecord[])[],
): Promise<void> {
  const ids: number[] = [];
  const vantages: string[] = [];
  const kinds: string[] = [];
  const since: (number | null)[] = [];
  stored.forEach((transition, i) => {
    for (const vote of votes[i] ?? []) {
      ids.push(transition.id);
      vantages.push(vote.vantage);
      kinds.push(vote.vote);
      since.push(vote.since);
    }
  });
  if (ids.length > 0) await client.query(INSERT_VOTES, [ids, vantages, kinds, since]);
}
