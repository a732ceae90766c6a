import { TARGET_STATES } from "../../health/types.js";
import { LedgerError } from "../errors.js";
import type { Gap, NewTransition, StoredTransition } from "../ledger.js";
import type { GapRow, LeaderRow, RunRow } from "./rows.js";

/**
 * The ledger's rules, shared by every store: the transition chain, gap validity and the errors
 * for runs and gaps that cannot be written. Stores only read the rows these rules look at.
 */

/** A target's last state and when it was entered: stored, or earlier in the same batch. */
export interface ChainLink {
  state: string;
  at: number;
}

/**
 * Checks one transition of a batch against the target's previous link (`undefined`: never
 * seen, i.e. `unknown`). Throws LEDGER_INVALID, LEDGER_TRANSITION_CHAIN or LEDGER_TRANSITION_ORDER.
 */
export function checkLink(
  instance: string,
  transition: NewTransition,
  index: number,
  previous: ChainLink | undefined,
): void {
  const { targetId, from, to, at } = transition;
  const context = { instance, targetId, index, from, to, at };
  if (!TARGET_STATES.includes(from) || !TARGET_STATES.includes(to)) {
    throw new LedgerError("LEDGER_INVALID", `unknown state in ${from}→${to}`, context);
  }
  if (!Number.isFinite(at) || !Number.isFinite(transition.detectedAt)) {
    throw new LedgerError("LEDGER_INVALID", "at and detectedAt must be epoch ms", context);
  }
  const previousProbeAt = transition.previousProbeAt;
  if (previousProbeAt !== null && !(Number.isFinite(previousProbeAt) && previousProbeAt <= at)) {
    throw new LedgerError(
      "LEDGER_INVALID",
      "previousProbeAt must be epoch ms no later than at, or null",
      { ...context, previousProbeAt },
    );
  }
  const expected = previous?.state ?? "unknown";
  if (from !== expected || from === to) {
    throw new LedgerError(
      "LEDGER_TRANSITION_CHAIN",
      `${targetId}: ${from}→${to} does not follow its last stored state ${expected}`,
      { ...context, expected },
    );
  }
  if (previous !== undefined && at < previous.at) {
    throw new LedgerError(
      "LEDGER_TRANSITION_ORDER",
      `${targetId}: ${from}→${to} at ${at} is earlier than its previous transition at ${previous.at}`,
      { ...context, previousAt: previous.at },
    );
  }
}

/** The stored form of a transition just inserted with `id`. */
export function storedTransition(
  id: number,
  runId: number,
  instance: string,
  t: NewTransition,
): StoredTransition {
  return {
    id,
    runId,
    instance,
    targetId: t.targetId,
    service: t.service,
    site: t.site,
    from: t.from,
    to: t.to,
    at: t.at,
    detectedAt: t.detectedAt,
    reason: t.reason,
    detail: t.detail,
    blockedBy: t.blockedBy,
    maintenance: t.maintenance,
    previousProbeAt: t.previousProbeAt,
    ...(t.pageHeld === true ? { pageHeld: true } : {}),
  };
}

export function noOpenOutage(t: StoredTransition): LedgerError {
  return new LedgerError(
    "LEDGER_CORRUPT",
    `${t.targetId} was down but has no open outage to close`,
    { instance: t.instance, targetId: t.targetId, transitionId: t.id },
  );
}

/** Why a heartbeat, stop or commit on `runId` wrote nothing: `run` as read back (or none). */
export function runNotWritable(runId: number, run: RunRow | undefined): LedgerError {
  if (run === undefined) {
    return new LedgerError("LEDGER_RUN_NOT_FOUND", `no run ${runId}`, { runId });
  }
  return new LedgerError("LEDGER_RUN_STOPPED", `run ${runId} was stopped`, {
    runId,
    instance: run.instance,
    stoppedAt: run.stopped_at,
  });
}

/** Throws LEDGER_INVALID for an unknown kind or a gap ending before it starts. */
export function checkGap(gap: Gap): void {
  if (gap.kind !== "restart" && gap.kind !== "blind") {
    throw new LedgerError("LEDGER_INVALID", `unknown gap kind ${String(gap.kind)}`, {
      kind: String(gap.kind),
    });
  }
  if (gap.end !== null && gap.end < gap.start) {
    throw new LedgerError("LEDGER_INVALID", "gap ends before it starts", {
      start: gap.start,
      end: gap.end,
    });
  }
}

/** Why closing `gapId` at `end` changed nothing: `gap` as read back (or none). */
export function gapNotClosable(gapId: number, gap: GapRow | undefined, end: number): LedgerError {
  if (gap === undefined) {
    return new LedgerError("LEDGER_GAP_NOT_FOUND", `no gap ${gapId}`, { gapId });
  }
  if (gap.end_at !== null) {
    return new LedgerError("LEDGER_GAP_CLOSED", `gap ${gapId} is already closed`, {
      gapId,
      end: gap.end_at,
    });
  }
  return new LedgerError("LEDGER_INVALID", `gap ${gapId} would end before it starts`, {
    gapId,
    start: gap.start_at,
    end,
  });
}

/** LEDGER_FENCED unless `run` (of an HA group) is its group's current leader. */
export function checkLeader(run: RunRow, leader: LeaderRow | undefined): void {
  if (run.ha_group === null || leader?.run_id === run.id) return;
  const holder = leader === undefined ? "none" : `run ${leader.run_id} (epoch ${leader.epoch})`;
  throw new LedgerError(
    "LEDGER_FENCED",
    `run ${run.id} (${run.instance}) is not the leader of ha group ${run.ha_group}; leader: ${holder}`,
    {
      runId: run.id,
      instance: run.instance,
      haGroup: run.ha_group,
      leaderRunId: leader?.run_id ?? null,
      epoch: leader?.epoch ?? null,
    },
  );
}

/** LEDGER_INVALID for leadership asked by a run that is in no group. */
export function notInGroup(run: RunRow): LedgerError {
  return new LedgerError("LEDGER_INVALID", `run ${run.id} (${run.instance}) is in no ha group`, {
    runId: run.id,
    instance: run.instance,
  });
}

/**
 * The restart gap of a start at `at`: alone, from the instance's previous heartbeat; in an HA
 * group, from the newest heartbeat of any member, and none while some member is alive.
 */
export function restartGap(
  chain: string,
  at: number,
  lastHeartbeat: number | null,
  membersAlive: number,
): Gap | null {
  if (lastHeartbeat === null || membersAlive > 0 || at <= lastHeartbeat) return null;
  return { instance: chain, kind: "restart", start: lastHeartbeat, end: at };
}
