import {
  type CommittedTransition,
  type EngineListener,
  endedOutageMs,
  type QueueState,
} from "../engine/engine.js";
import {
  type LedgerRecoveryReport,
  type LedgerTroubleReport,
  ledgerTroubleReason,
} from "../engine/ledger-trouble.js";
import type { PageHoldChange } from "../engine/page-holds.js";
import type { ProbeResult } from "../probe/types.js";
import { humanDuration } from "../text/duration.js";
import type { WallClockJump } from "../time/wall-clock-watch.js";
import type { Logger } from "./logger.js";

/**
 * What the engine tells, as log lines: every committed transition one JSON line, ledger
 * trouble, wall-clock jumps and page holds. Transitions reach it only once the ledger has
 * them, like the metrics and the alerts: a logged transition is never one a crash loses.
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * On recovery, how long it was down: the first question of on-call and of the review. The
 * ledger's start and length, so a wall-clock step during the outage is not counted in it.
 */
function outageDuration(t: CommittedTransition) {
  const ms = endedOutageMs(t);
  if (ms === null || t.outageStart === null) return {};
  const seconds = ms / 1000;
  return {
    outage_started_at: iso(t.outageStart),
    outage_seconds: seconds,
    outage_duration: humanDuration(seconds),
  };
}

/**
 * The engine's events as log lines: one per committed transition (target, from, to, at,
 * reason), ledger trouble, refusals, clock steps; probes and page holds at debug. A failing
 * write is not logged each time it is retried: `unwritable` says so once per interval.
 */
export function engineLogger(logger: Logger): EngineListener {
  return (event) => {
    switch (event.kind) {
      case "probed":
        return logProbe(logger, event.target.id, event.result);
      case "committed":
        // a standby's adopted view is its leader's transitions: logged once, by the leader
        if (event.adopted === true) return logAdopted(logger, event.transitions);
        for (const t of event.transitions) logTransition(logger, t);
        return;
      case "holds":
        return logHolds(logger, event.changes);
      case "write":
        if (event.result === "refused") logRefused(logger, event.what, event.error, event.dropped);
        return;
      case "unwritable":
        return logUnwritable(logger, event.report, event.queue);
      case "writable":
        return logWritable(logger, event.report, event.queue);
      case "clock-jump":
        return logClockJump(logger, event.jump);
    }
  };
}

function logProbe(logger: Logger, target: string, result: ProbeResult): void {
  if (!logger.isLevelEnabled("debug")) return;
  logger.debug({
    event: "probe",
    target,
    result: result.result,
    reason: result.reason,
    detail: result.detail,
    started_at: iso(result.startedAt),
    duration_ms: result.durationMs,
    status: result.status,
  });
}

function logAdopted(logger: Logger, transitions: readonly CommittedTransition[]): void {
  if (transitions.length === 0 || !logger.isLevelEnabled("debug")) return;
  logger.debug(
    { event: "adopted", transitions: transitions.length, run: transitions[0]?.runId },
    "adopted the leader's committed transitions",
  );
}

function logTransition(logger: Logger, t: CommittedTransition): void {
  logger.info(
    {
      event: "transition",
      target: t.targetId,
      service: t.service,
      site: t.site,
      from: t.from,
      to: t.to,
      at: iso(t.at),
      detected_at: iso(t.detectedAt),
      previous_probe_at: iso(t.previousProbeAt),
      reason: t.reason,
      detail: t.detail,
      blocked_by: t.to === "down" ? t.blockedBy : undefined,
      ...outageDuration(t),
    },
    `${t.targetId} ${t.from} -> ${t.to}`,
  );
}

// debug: in a data centre's outage every dependant holds and releases once (the transition
// lines already say what happened; pantau_target_attribution_pending shows the holds)
function logHolds(logger: Logger, changes: readonly PageHoldChange[]): void {
  for (const { targetId, waitingOn } of changes) {
    const held = waitingOn.length > 0;
    logger.debug(
      { event: held ? "page_held" : "page_released", target: targetId, waiting_on: waitingOn },
      held
        ? `${targetId}: page waits for the verdict of ${waitingOn.join(", ")}`
        : `${targetId}: page no longer waits`,
    );
  }
}

function logRefused(
  logger: Logger,
  what: "transitions" | "gap",
  error: unknown,
  dropped: readonly unknown[],
): void {
  if (what === "gap") {
    logger.error(
      { event: "ledger_refused", err: error, what },
      "ledger refused a blind gap; dropped it",
    );
    return;
  }
  logger.error(
    { event: "ledger_refused", err: error, dropped: dropped.length },
    "ledger refused transitions as inconsistent; dropped them and rewound those targets",
  );
}

function logUnwritable(logger: Logger, report: LedgerTroubleReport, queue: QueueState): void {
  const { since, error, operations, failures } = report;
  const full = queue.length >= queue.max ? `; queue full (${queue.dropped} decisions put off)` : "";
  logger.warn(
    {
      event: "ledger_unwritable",
      since: iso(since),
      error,
      operations,
      failures,
      pending: queue.length,
      max_pending: queue.max,
      dropped: queue.dropped,
    },
    `${ledgerTroubleReason(report, queue.length)}${full}; retrying`,
  );
}

function logWritable(logger: Logger, report: LedgerRecoveryReport, queue: QueueState): void {
  const seconds = (report.at - report.since) / 1000;
  logger.info(
    {
      event: "ledger_writable",
      since: iso(report.since),
      at: iso(report.at),
      unwritable_seconds: seconds,
      failures: report.failures,
      pending: queue.length,
      dropped: queue.dropped,
    },
    `ledger writable again after ${humanDuration(seconds)} (${report.failures} failed writes)`,
  );
}

function logClockJump(logger: Logger, jump: WallClockJump): void {
  const seconds = jump.jumpMs / 1000;
  const direction = seconds > 0 ? "forward" : "backward";
  logger.warn(
    { event: "clock_jump", jump_seconds: seconds, at: iso(jump.at) },
    `wall clock jumped ${direction} by ${humanDuration(Math.abs(seconds))}; durations stay on the monotonic clock`,
  );
}
