import { RUN_COLUMNS, TRANSITION_COLUMNS } from "./rows.js";

/**
 * The fixed statements of the write and restore paths, in portable SQL with `?` placeholders:
 * `RETURNING` and `ON CONFLICT … DO UPDATE` work in SQLite ≥ 3.35 and PostgreSQL alike.
 * Parameter order is documented on each.
 */
export const SQL = {
  /** (instance) → the instance's newest run */
  previousRun: `SELECT ${RUN_COLUMNS} FROM runs WHERE instance = ? ORDER BY id DESC LIMIT 1`,
  /** (id) */
  runById: `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`,
  /** (instance, started_at, last_heartbeat, ha_group, quorum_group) → id */
  insertRun:
    "INSERT INTO runs (instance, started_at, last_heartbeat, stopped_at, ha_group, quorum_group) VALUES (?, ?, ?, NULL, ?, ?) RETURNING id",
  /** (ha_group, alive_since) → members still running with a heartbeat since alive_since */
  groupAlive:
    "SELECT COUNT(*) AS n FROM runs WHERE ha_group = ? AND stopped_at IS NULL AND last_heartbeat >= ?",
  /** (ha_group) → the newest heartbeat of any member, null when none ever ran */
  groupLastHeartbeat: "SELECT MAX(last_heartbeat) AS last FROM runs WHERE ha_group = ?",
  /** (ha_group) */
  leader: "SELECT ha_group, epoch, run_id, since FROM leaders WHERE ha_group = ?",
  /** (ha_group, run_id, since) → epoch: the first leader is epoch 1, each new one the next */
  claimLeader: `INSERT INTO leaders (ha_group, epoch, run_id, since) VALUES (?, 1, ?, ?)
    ON CONFLICT (ha_group)
    DO UPDATE SET epoch = leaders.epoch + 1, run_id = excluded.run_id, since = excluded.since
    RETURNING epoch`,
  /** (at, id); only a run not yet stopped */
  heartbeat: "UPDATE runs SET last_heartbeat = ? WHERE id = ? AND stopped_at IS NULL",
  /** (stopped_at, last_heartbeat, id); only a run not yet stopped */
  stopRun: "UPDATE runs SET stopped_at = ?, last_heartbeat = ? WHERE id = ? AND stopped_at IS NULL",
  /** (instance, kind, start_at, end_at) → id */
  insertGap: "INSERT INTO gaps (instance, kind, start_at, end_at) VALUES (?, ?, ?, ?) RETURNING id",
  /** (id) */
  gapById: "SELECT id, instance, kind, start_at, end_at FROM gaps WHERE id = ?",
  /** (end_at, id, end_at); only an open gap, never ending before it starts */
  closeGap: "UPDATE gaps SET end_at = ? WHERE id = ? AND end_at IS NULL AND start_at <= ?",
  /** (run_id, instance, target_id, service, site, from, to, at, detected_at, reason, detail, blocked_by, maintenance, previous_probe_at) → id */
  insertTransition: `INSERT INTO transitions (run_id, instance, target_id, service, site, from_state, to_state,
    at, detected_at, reason, detail, blocked_by, maintenance, previous_probe_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  /** (instance, target_id) → last state and its `at` */
  targetState: "SELECT state, at FROM target_states WHERE instance = ? AND target_id = ?",
  /** (instance, target_id, state, at, transition_id) */
  upsertTargetState: `INSERT INTO target_states (instance, target_id, state, at, transition_id)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (instance, target_id)
    DO UPDATE SET state = excluded.state, at = excluded.at, transition_id = excluded.transition_id`,
  /** (instance) → the latest transition of each target, by target id */
  latestTransitions: `SELECT ${TRANSITION_COLUMNS.split(", ")
    .map((column) => `t.${column}`)
    .join(", ")}
    FROM target_states s JOIN transitions t ON t.id = s.transition_id
    WHERE s.instance = ? ORDER BY s.target_id`,
  /** (instance, target_id, service, site, start_at, detected_at, reason, detail, blocked_by, maintenance, last_ok_at, page_settled_at, open_transition_id) */
  openOutage: `INSERT INTO outages (instance, target_id, service, site, start_at, end_at, detected_at,
    reason, detail, blocked_by, maintenance, end_reason, last_ok_at, page_settled_at,
    open_transition_id, close_transition_id)
    VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, NULL, ?, ?, ?, NULL)`,
  /** (page_settled_at, instance, target_id): the open outage's page stopped waiting */
  settleOutage: `UPDATE outages SET page_settled_at = ?
    WHERE instance = ? AND target_id = ? AND end_at IS NULL AND page_settled_at IS NULL`,
  /** (quorum_group) → the newest run of each instance that is a vantage of the group */
  quorumMembers: `SELECT ${RUN_COLUMNS} FROM runs r
    WHERE r.quorum_group = ?
    AND r.id = (SELECT MAX(n.id) FROM runs n WHERE n.instance = r.instance AND n.quorum_group = r.quorum_group)
    ORDER BY r.instance`,
  /** (instance, after_id, limit) → the instance's transitions in commit order */
  transitionsAfter: `SELECT ${TRANSITION_COLUMNS} FROM transitions
    WHERE instance = ? AND id > ? ORDER BY id LIMIT ?`,
  /** (transition_id, vantage, vote, since) */
  insertQuorumVote:
    "INSERT INTO quorum_votes (transition_id, vantage, vote, since) VALUES (?, ?, ?, ?)",
  /** (blocked_by, instance, target_id): the open outage's cause from its start, learnt late */
  attributeOutage: `UPDATE outages SET blocked_by = ?, blocked_until = NULL
    WHERE instance = ? AND target_id = ? AND end_at IS NULL`,
  /** (blocked_until, instance, target_id): the open outage is its own from now on */
  releaseOutage: `UPDATE outages SET blocked_until = ?
    WHERE instance = ? AND target_id = ? AND end_at IS NULL
    AND blocked_by IS NOT NULL AND blocked_until IS NULL`,
  /** (end_at, last_failed_at, end_reason, close_transition_id, closing maintenance 0/1, instance, target_id) */
  closeOutage: `UPDATE outages SET end_at = ?, last_failed_at = ?, end_reason = ?, close_transition_id = ?,
    maintenance = CASE WHEN maintenance = 1 OR ? = 1 THEN 1 ELSE 0 END
    WHERE instance = ? AND target_id = ? AND end_at IS NULL`,
} as const;
