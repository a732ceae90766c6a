import { Command } from "commander";
import { parseShard } from "../config/shard.js";
import { Daemon, DaemonStartError, DEFAULT_STOP_TIMEOUT_MS, StartError } from "../daemon/daemon.js";
import { formatConfigIssue } from "../fields/errors.js";
import { parseDuration } from "../fields/units.js";
import { createLogger } from "../log/logger.js";
import { DEFAULT_CONFIG } from "./check.js";
import { EarlySignals, untilStopped } from "./stop-signals.js";

interface RunOptions {
  config: string;
  listen?: string;
  shard?: string;
  logLevel: string;
  stopTimeout?: string;
}

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
      // trapped before the start, acted on once it returns; bounded if it never does
      const signals = new EarlySignals({ logger, stopTimeoutMs });
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
      const code = await untilStopped(daemon, { logger, stopTimeoutMs }, signals);
      if (code !== 0) process.exitCode = code;
    });
}
