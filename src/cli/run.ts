import { Command } from "commander";
import { parseShard } from "../config/shard.js";
import { Daemon, DaemonStartError, DEFAULT_STOP_TIMEOUT_MS, StartError } from "../daemon/daemon.js";
import { formatConfigIssue } from "../fields/errors.js";
import { parseDuration } from "../fields/units.js";
import { createLogger } from "../log/logger.js";
import { DEFAULT_CONFIG } from "./check.js";

interface RunOptions {
  config: string;
  listen?: string;
  shard?: string;
  logLevel: string;
  stopTimeout?: string;
}

/** Past the stop's own bound, this long for the last words before the process is ended. */
const EXIT_GRACE_MS = 5000;

export function runCommand(): Command {
  return new Command("run")
    .description("run the monitor: probe, decide, record, expose")
    .option("-c, --config <file>", "configuration file", DEFAULT_CONFIG)
    .option("--listen <addr>", "address for /metrics and the API (overrides server.listen)")
    .option("--log-level <level>", "trace, debug, info, warn, error", "info")
    .option("--shard <i/n>", "watch only shard I of N (from 0); overrides global.shard")
    .option(
      "--stop-timeout <duration>",
      "a SIGTERM/SIGINT stop ends within this; what the ledger has not taken by then is journaled (default 30s)",
    )
    .action(async (options: RunOptions) => {
      const shard = options.shard === undefined ? undefined : parseShard(options.shard);
      if (typeof shard === "string") {
        process.stderr.write(`pantau run: --shard: ${shard}\n`);
        process.exitCode = 2;
        return;
      }
      const stopTimeoutMs =
        options.stopTimeout === undefined
          ? DEFAULT_STOP_TIMEOUT_MS
          : parseDuration(options.stopTimeout);
      if (stopTimeoutMs === null || stopTimeoutMs <= 0) {
        process.stderr.write(
          `pantau run: --stop-timeout: not a positive duration: ${JSON.stringify(options.stopTimeout)}\n`,
        );
        process.exitCode = 2;
        return;
      }
      const logger = createLogger({ level: options.logLevel });
      // trapped before the start: a SIGTERM during it (systemd stopping a unit it just started)
      // stops the daemon cleanly once it has started, instead of killing it mid-start
      const signals = new EarlySignals();
      let daemon: Daemon;
      try {
        daemon = await Daemon.start({
          configFile: options.config,
          logger,
          stopTimeoutMs,
          ...(options.listen ? { listen: options.listen } : {}),
          ...(shard ? { shard } : {}),
        });
      } catch (error) {
        signals.release();
        if (error instanceof StartError) {
          process.stderr.write(`pantau run: ${error.message}\n`);
          process.exitCode = error.exitCode;
          return;
        }
        if (!(error instanceof DaemonStartError)) throw error;
        for (const issue of error.issues) process.stderr.write(`${formatConfigIssue(issue)}\n`);
        process.exitCode = 1;
        return;
      }
      await untilStopped(daemon, logger, stopTimeoutMs, signals);
    });
}

/** Records SIGTERM/SIGINT/SIGHUP until the daemon can act on them. */
class EarlySignals {
  stop: NodeJS.Signals | null = null;
  reload = false;
  private readonly onStop = (signal: NodeJS.Signals) => {
    this.stop ??= signal;
  };
  private readonly onHup = () => {
    this.reload = true;
  };

  constructor() {
    process.on("SIGTERM", this.onStop);
    process.on("SIGINT", this.onStop);
    process.on("SIGHUP", this.onHup);
  }

  release(): void {
    process.off("SIGTERM", this.onStop);
    process.off("SIGINT", this.onStop);
    process.off("SIGHUP", this.onHup);
  }
}

/**
 * SIGTERM/SIGINT stop cleanly (exit 0; 1 when something was lost); SIGHUP reloads. A stop that
 * overruns its bound (a hung socket, a store that never answers) is ended: exit 1.
 */
function untilStopped(
  daemon: Daemon,
  logger: ReturnType<typeof createLogger>,
  stopTimeoutMs: number,
  early: EarlySignals,
): Promise<void> {
  return new Promise((resolve) => {
    const onHup = () => void daemon.reload();
    const onStop = (signal: NodeJS.Signals) => {
      logger.info({ event: "signal", signal }, `${signal}: stopping`);
      process.off("SIGHUP", onHup);
      setTimeout(() => {
        logger.fatal({ event: "stop_overrun", bound_ms: stopTimeoutMs }, "stop overran its bound");
        logger.flush?.();
        process.exit(1);
      }, stopTimeoutMs + EXIT_GRACE_MS).unref();
      daemon.stop().then(
        () => resolve(),
        (error: unknown) => {
          logger.error({ event: "stop_error", err: error }, "unclean stop");
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.on("SIGHUP", onHup);
    process.once("SIGTERM", onStop);
    process.once("SIGINT", onStop);
    early.release();
    if (early.stop) onStop(early.stop);
    else if (early.reload) onHup();
  });
}
