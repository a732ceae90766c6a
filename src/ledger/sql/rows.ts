import type { TargetState } from "../../health/types.js";
import type {
  Gap,
  Leader,
  NewTransition,
  OutageRecord,
  QuorumMember,
  Run,
  StoredTransition,
} from "../ledger.js";

/**
 * Row shapes of the ledger tables and the one place they become record types. Booleans are
 * stored as 0/1 integers, times as epoch-ms integers.
 */

export interface RunRow {
  id: number;
  instance: string;
  started_at: number;
  last_heartbeat: number;
  stopped_at: number | null;
  /** The high-availability group the run writes for (schema version 2); null: its own instance. */
  ha_group: string | null;
  /** The quorum group the run is a vantage of (schema version 6). */
  quorum_group: string | null;
}

export interface LeaderRow {
  ha_group: string;
  epoch: number;
  run_id: number;
  since: number;
}

export interface TransitionRow {
  id: number;
  run_id: number;
  instance: string;
  target_id: string;
  service: string;
  site: string;
  from_state: TargetState;
  to_state: TargetState;
  at: number;
  detected_at: number;
  reason: string | null;
  detail: string | null;
  blocked_by: string | null;
  maintenance: 0 | 1;
  previous_probe_at: number | null;
}

export interface OutageRow {
  id: number;
  instance: string;
  target_id: string;
  service: string;
  site: string;
  start_at: number;
  end_at: number | null;
  detected_at: number;
  reason: string | null;
  detail: string | null;
  blocked_by: string | null;
  maintenance: 0 | 1;
  end_reason: string | null;
  blocked_until: number | null;
  last_ok_at: number | null;
  last_failed_at: number | null;
  page_settled_at: number | null;
  open_transition_id: number;
  close_transition_id: number | null;
}

export interface GapRow {
  id: number;
  instance: string;
  kind: Gap["kind"];
  start_at: number;
  end_at: number | null;
}

/** A row of stateHistoryQuery, as an array in its column order. */
export type StateHistoryRow = [instance: string, targetId: string, to: TargetState, at: number];

export interface TargetStateRow {
  state: TargetState;
  at: number;
}

export const RUN_COLUMNS =
  "id, instance, started_at, last_heartbeat, stopped_at, ha_group, quorum_group";
export const TRANSITION_COLUMNS =
  "id, run_id, instance, target_id, service, site, from_state, to_state, at, detected_at, " +
  "reason, detail, blocked_by, maintenance, previous_probe_at";
export const OUTAGE_COLUMNS =
  "id, instance, target_id, service, site, start_at, end_at, detected_at, reason, detail, " +
  "blocked_by, blocked_until, maintenance, end_reason, last_ok_at, last_failed_at, " +
  "page_settled_at, open_transition_id, close_transition_id";
export const GAP_COLUMNS = "id, instance, kind, start_at, end_at";

export function toFlag(value: boolean): 0 | 1 {
  return value ? 1 : 0;
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    instance: row.instance,
    startedAt: row.started_at,
    lastHeartbeat: row.last_heartbeat,
    stoppedAt: row.stopped_at,
  };
}

export function toStoredTransition(row: TransitionRow): StoredTransition {
  return {
    id: row.id,
    runId: row.run_id,
    instance: row.instance,
    targetId: row.target_id,
    service: row.service,
    site: row.site,
    from: row.from_state,
    to: row.to_state,
    at: row.at,
    detectedAt: row.detected_at,
    reason: row.reason,
    detail: row.detail,
    blockedBy: row.blocked_by,
    maintenance: row.maintenance === 1,
    previousProbeAt: row.previous_probe_at,
  };
}

export function toOutage(row: OutageRow): OutageRecord {
  return {
    id: row.id,
    instance: row.instance,
    targetId: row.target_id,
    service: row.service,
    site: row.site,
    start: row.start_at,
    end: row.end_at,
    detectedAt: row.detected_at,
    reason: row.reason,
    detail: row.detail,
    blockedBy: row.blocked_by,
    blockedUntil: row.blocked_until,
    maintenance: row.maintenance === 1,
    endReason: row.end_reason,
    lastOkAt: row.last_ok_at,
    lastFailedAt: row.last_failed_at,
    pageSettledAt: row.page_settled_at,
  };
}

/** An outage row as an array in OUTAGE_COLUMNS' order (the last two ids are not read). */
export type OutageTuple = [
  id: number,
  instance: string,
  targetId: string,
  service: string,
  site: string,
  start: number,
  end: number | null,
  detectedAt: number,
  reason: string | null,
  detail: string | null,
  blockedBy: string | null,
  blockedUntil: number | null,
  maintenance: 0 | 1,
  endReason: string | null,
  lastOkAt: number | null,
  lastFailedAt: number | null,
  pageSettledAt: number | null,
];

/** As toOutage, from an array row: a store listing half a million outages skips row objects. */
export function tupleToOutage(row: OutageTuple): OutageRecord {
  return {
    id: row[0],
    instance: row[1],
    targetId: row[2],
    service: row[3],
    site: row[4],
    start: row[5],
    end: row[6],
    detectedAt: row[7],
    reason: row[8],
    detail: row[9],
    blockedBy: row[10],
    blockedUntil: row[11],
    maintenance: row[12] === 1,
    endReason: row[13],
    lastOkAt: row[14],
    lastFailedAt: row[15],
    pageSettledAt: row[16],
  };
}

export function toGap(row: GapRow): Gap {
  return { instance: row.instance, kind: row.kind, start: row.start_at, end: row.end_at };
}

/** Parameters of SQL.insertTransition, in its order: one definition for every store. */
export function insertTransitionParams(runId: number, instance: string, t: NewTransition) {
  return [
    runId,
    instance,
    t.targetId,
    t.service,
    t.site,
    t.from,
    t.to,
    t.at,
    t.detectedAt,
    t.reason,
    t.detail,
    t.blockedBy,
    toFlag(t.maintenance),
    t.previousProbeAt,
  ] as [
    number,
    string,
    string,
    string,
    string,
    string,
    string,
    number,
    number,
    string | null,
    string | null,
    string | null,
    0 | 1,
    number | null,
  ];
}

/** What a transition out of down writes as the outage's end reason. */
export function endReasonOf(t: StoredTransition): "removed" | "recovered" {
  return t.reason === "removed" ? "removed" : "recovered";
}

/** Parameters of SQL.closeOutage, in its order: the outage's end and its `last_failed_at`. */
export function closeOutageParams(t: StoredTransition) {
  return [
    t.at,
    t.previousProbeAt,
    endReasonOf(t),
    t.id,
    toFlag(t.maintenance),
    t.instance,
    t.targetId,
  ] as [number, number | null, string, number, 0 | 1, string, string];
}

/**
 * When an outage's page is settled as it opens: at once (`detectedAt`) unless its page waits for an
 * upstream's verdict (`pageHeld`), then later by a settlement.
 */
export function pageSettledAt(t: NewTransition): number | null {
  return t.pageHeld === true ? null : t.detectedAt;
}

/** Parameters of SQL.openOutage, in its order; the →down's `previousProbeAt` is its `last_ok_at`. */
export function openOutageParams(t: StoredTransition) {
  return [
    t.instance,
    t.targetId,
    t.service,
    t.site,
    t.at,
    t.detectedAt,
    t.reason,
    t.detail,
    t.blockedBy,
    toFlag(t.maintenance),
    t.previousProbeAt,
    pageSettledAt(t),
    t.id,
  ] as [
    string,
    string,
    string,
    string,
    number,
    number,
    string | null,
    string | null,
    string | null,
    0 | 1,
    number | null,
    number | null,
    number,
  ];
}

/** The ledger identity a run writes its transitions, outages and gaps under. */
export function chainOf(run: RunRow): string {
  return run.ha_group ?? run.instance;
}

export function toQuorumMember(row: RunRow): QuorumMember {
  return { ...toRun(row), vantage: chainOf(row) };
}

export function toLeader(row: LeaderRow): Leader {
  return { haGroup: row.ha_group, epoch: row.epoch, runId: row.run_id, since: row.since };
}
