import pino, { type Logger } from "pino";
import type { EngineSubscriber } from "../engine/engine.js";
import { humanDuration } from "../report/format.js";

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Pretty, human output (pino-pretty); the default follows whether stdout is a TTY. */
  pretty?: boolean;
  /** Where JSON lines go (tests pass a stream); defaults to stdout. */
  destination?: pino.DestinationStream;
}

/**
 * JSON logs, pretty on a TTY. Config values never reach a log line by design (targets are
 * logged by id and by an endpoint stripped of credentials); `redact` is the safety net.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const base: pino.LoggerOptions = {
    level: options.level ?? "info",
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ["headers", "*.headers", "password", "*.password", "bearerToken", "*.bearerToken"],
      censor: "[redacted]",
    },
  };
  if (pretty) {
    return pino(base, pino.transport({ target: "pino-pretty", options: { translateTime: true } }));
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** On recovery, how long it was down: the first question of on-call and of the review. */
function outageDuration(at: number, outageStart: number | null) {
  if (outageStart === null) return {};
  const seconds = (at - outageStart) / 1000;
  return {
    outage_started_at: iso(outageStart),
    outage_seconds: seconds,
    outage_duration: humanDuration(seconds),
  };
}

/** One log line per committed transition (target, from, to, at, reason); probes at debug. */
export function engineLogger(logger: Logger): EngineSubscriber {
  return {
    probeCompleted(target, result) {
      if (!logger.isLevelEnabled("debug")) return;
      logger.debug({
        event: "probe",
        target: target.id,
        result: result.result,
        reason: result.reason,
        detail: result.detail,
        started_at: iso(result.startedAt),
        duration_ms: result.durationMs,
        status: result.status,
      });
    },
    transitionsCommitted(transitions) {
      for (const t of transitions) {
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
            reason: t.reason,
            detail: t.detail,
            blocked_by: t.to === "down" ? t.blockedBy : undefined,
            ...outageDuration(t.at, t.outageStart),
          },
          `${t.targetId} ${t.from} -> ${t.to}`,
        );
      }
    },
    commitRefused(error, dropped) {
      logger.error(
        { event: "ledger_refused", err: error, dropped: dropped.length },
        "ledger refused transitions as inconsistent; dropped them and rewound those targets",
      );
    },
    commitFailed(error, pending) {
      logger.error(
        { event: "ledger_error", err: error, pending },
        "ledger commit failed; will retry",
      );
    },
  };
}
