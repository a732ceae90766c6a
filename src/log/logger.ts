import pino, { type Logger } from "pino";

/**
 * The daemon's logger. A room of its own so that every part that logs (the engine's readers,
 * fleet/, alert/, the CLI) imports it without reaching up into what answers HTTP.
 */

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
