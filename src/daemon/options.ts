import { hostname } from "node:os";
import { loadConfig } from "../config/load.js";
import type { Shard } from "../config/shard.js";
import type { EngineListener, EngineOptions } from "../engine/engine.js";
import { type ConfigIssue, formatConfigIssue } from "../fields/errors.js";
import type { Logger } from "../log/logger.js";
import type { SchedulerObserver } from "../schedule/scheduler.js";
import type { Clock, Timers } from "../time/clock.js";

export interface DaemonOptions {
  configFile: string;
  logger: Logger;
  /** Overrides `server.listen`; `none` serves no HTTP (tests of the engine alone). */
  listen?: string;
  /** `--shard I/N`: replaces `global.shard`, at start and on every reload. */
  shard?: Shard;
  clock?: Clock;
  timers?: Timers;
  env?: Record<string, string | undefined>;
  /** Extra readers of the engine's events, attached before the first probe. */
  listeners?: EngineListener[];
  schedulerObserver?: SchedulerObserver;
  /** `--stop-timeout`: a stop ends within this (default 30 s); what is uncommitted is journaled. */
  stopTimeoutMs?: number;
  /** Retry and queue bounds of the engine (tests shorten them). */
  engineTuning?: Pick<
    EngineOptions,
    "commitRetryMs" | "commitRetryMaxMs" | "maxPending" | "ledgerReportEveryMs"
  >;
}

/** Thrown by `Daemon.start` for a bad option (exit 2) or a port it cannot bind (exit 1). */
export class StartError extends Error {
  override readonly name = "StartError";
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** Thrown by `Daemon.start` when the configuration cannot be used. */
export class DaemonStartError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map(formatConfigIssue).join("\n"));
    this.name = "DaemonStartError";
  }
}

/** The config file with the daemon's overrides (--shard). */
export function loadDaemonConfig(options: DaemonOptions) {
  return loadConfig(options.configFile, options.env ?? process.env, {
    hostname: hostname(),
    shard: options.shard ?? null,
  });
}
