import { hostname } from "node:os";
import { readBearerToken } from "./config/bearer-token.js";
import { type ConfigIssue, formatConfigIssue } from "./config/errors.js";
import { type ListenAddress, listenAddressProblem, parseListenAddress } from "./config/listen.js";
import { loadConfig } from "./config/load.js";
import { chainOf, haPairChange, haPairOf, targetChanges } from "./config/reload-diff.js";
import { restartOnlyIssues } from "./config/restart-only.js";
import { formatShard, type Shard } from "./config/shard.js";
import type { Config } from "./config/types.js";
import { Engine, type EngineListener, type EngineOptions } from "./engine/engine.js";
import { RunHeartbeat } from "./engine/heartbeat.js";
import { apiRoutes } from "./expose/api.js";
import { PantauMetrics } from "./expose/metrics.js";
import { readiness } from "./expose/readiness.js";
import { type ApiResponse, type HttpServerHandle, startHttpServer } from "./expose/server.js";
import type { HaMember } from "./fleet/ha-member.js";
import { Leadership } from "./fleet/leadership.js";
import { readCommittedView } from "./ledger/committed-view.js";
import type { Ledger, RunStart, StoredTransition } from "./ledger/ledger.js";
import { openLedger } from "./ledger/open.js";
import { engineLogger } from "./log/engine-log.js";
import type { Logger } from "./log/logger.js";
import { probeTarget } from "./probe/registry.js";
import { planOf, Scheduler, type SchedulerObserver } from "./schedule/scheduler.js";
import { type Clock, systemClock, systemTimers, type Timers } from "./time/clock.js";
import { VERSION } from "./version.js";

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
  /** Retry and queue bounds of the engine (tests shorten them). */
  engineTuning?: Pick<
    EngineOptions,
    "commitRetryMs" | "commitRetryMaxMs" | "maxPending" | "ledgerReportEveryMs"
  >;
}

export type ReloadOutcome =
  | { ok: true; added: string[]; changed: string[]; removed: string[] }
  | { ok: false; issues: ConfigIssue[] };

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

/** Transitions decided within this window commit together; well inside the 1 s budget. */
const COMMIT_WINDOW_MS = 100;

/** The config file with the daemon's overrides (--shard). */
function loadDaemonConfig(options: DaemonOptions) {
  return loadConfig(options.configFile, options.env ?? process.env, {
    hostname: hostname(),
    shard: options.shard ?? null,
  });
}

/**
 * Wires config → ledger → engine → scheduler, and the readers of the engine's events (log,
 * metrics, alerts, the HTTP API). The only place that knows every part.
 */
export class Daemon {
  private stopping: Promise<void> | null = null;
  /** Reloads run one at a time: each diffs against the config the previous one applied. */
  private reloading: Promise<unknown> = Promise.resolve();
  private started = false;
  private server: HttpServerHandle | null = null;
  private readonly heartbeat: RunHeartbeat;
  private readonly leadership: Leadership;

  private constructor(
    private config: Config,
    readonly ledger: Ledger,
    readonly engine: Engine,
    readonly scheduler: Scheduler,
    readonly metrics: PantauMetrics,
    readonly run: RunStart,
    private readonly options: DaemonOptions,
    private bearerToken: string | null,
  ) {
    const { clock, timers } = this;
    const everyMs = config.storage.heartbeat;
    const runId = run.run.id;
    this.heartbeat = new RunHeartbeat({ ledger, runId, engine, clock, timers, everyMs });
    this.leadership = new Leadership({
      haPair: haPairOf(config),
      chain: chainOf(config),
      url: config.storage.url,
      everyMs,
      runId,
      ledger,
      engine,
      clock,
      timers,
      logger: options.logger,
      registry: metrics.registry,
      alertmanager: () => this.config.alertmanager,
      onDelivery: (result) => metrics.alertmanagerPosts.inc({ result }),
    });
  }

  /** This daemon's part in its HA group (`global.ha_group`), else null. */
  get ha(): HaMember | null {
    return this.leadership.ha;
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const clock = options.clock ?? systemClock;
    const timers = options.timers ?? systemTimers;
    const loaded = await loadDaemonConfig(options);
    if (!loaded.ok) throw new DaemonStartError(loaded.issues);
    const config = loaded.config;
    const listenText = options.listen ?? config.server.listen;
    const listen = listenText === "none" ? null : parseListenAddress(listenText);
    if (listenText !== "none" && !listen) {
      throw new StartError(`--listen: ${listenAddressProblem(listenText)}`, 2);
    }
    const bearerToken = await readBearerToken(config);
    if (bearerToken !== null && typeof bearerToken !== "string") {
      throw new DaemonStartError([bearerToken]);
    }
    const metrics = new PantauMetrics({ version: VERSION });
    const ledger = await openLedger(config.storage);
    // a member of an HA group is alive while it beats: two heartbeats of slack
    const runOptions = { haGroup: haPairOf(config), liveWithinMs: 2 * config.storage.heartbeat };
    const run = await ledger.startRun(config.global.instance, clock.now(), runOptions);
    const engine = new Engine({
      clock,
      timers,
      ledger,
      runId: run.run.id,
      instance: chainOf(config),
      canaries: config.global.canaries,
      maintenance: config.maintenance,
      runProbe: (target, signal) => probeTarget(target, { clock, signal, timers }),
      batchWindowMs: COMMIT_WINDOW_MS,
      maxPending: config.storage.maxPending,
      ...options.engineTuning,
    });
    engine.subscribe(engineLogger(options.logger));
    engine.subscribe(metrics.listener);
    for (const listener of options.listeners ?? []) engine.subscribe(listener);
    metrics.ledgerQueue.queueLimitChanged(engine.queueState.max);
    const scheduler = new Scheduler({
      clock,
      timers,
      maxInFlight: config.global.maxInFlight,
      runProbe: (id) => engine.probe(id),
      observer: options.schedulerObserver ?? metrics.schedulerObserver,
    });
    const args = [config, ledger, engine, scheduler, metrics, run, options, bearerToken] as const;
    const daemon = new Daemon(...args);
    metrics.configReloaded(true, clock.now());
    await daemon.restore();
    metrics.syncTargets(config.targets, (id) => engine.committedState(id));
    if (listen) await daemon.listen(listen);
    scheduler.start();
    daemon.started = true;
    daemon.heartbeat.start();
    daemon.logStart();
    return daemon;
  }

  get currentConfig(): Config {
    return this.config;
  }

  /** The bound HTTP address (port resolved when `:0` was asked for). */
  get httpAddress(): { host: string; port: number } | null {
    return this.server?.address ?? null;
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  private get timers(): Timers {
    return this.options.timers ?? systemTimers;
  }

  /** A port that cannot be bound ends the start cleanly: the run is marked stopped. */
  private async listen(address: ListenAddress): Promise<void> {
    const api = apiRoutes({
      clock: this.clock,
      ledger: this.ledger,
      engine: this.engine,
      instance: () => chainOf(this.config),
      targets: () => this.config.targets,
      maintenance: () => this.config.maintenance,
    });
    const context = {
      renderMetrics: () => ({
        contentType: this.metrics.contentType,
        chunks: this.metrics.renderChunks(),
      }),
      readiness: () =>
        readiness({
          started: this.started,
          stopping: this.stopping !== null,
          ledgerTrouble: this.engine.ledgerTrouble,
          blind: this.engine.blind,
          ha: this.ha ? { role: this.ha.role, pair: chainOf(this.config) } : null,
        }),
      reload: () => this.reloadAnswer(),
      api,
      bearerToken: () => this.bearerToken,
      logger: this.options.logger,
    };
    try {
      this.server = await startHttpServer(address, context);
    } catch (error) {
      // an HA member releases its lock (and stops its election loop) before giving up
      await this.leadership.stop();
      await this.ledger.stopRun(this.run.run.id, this.clock.now());
      await this.ledger.close();
      const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
      throw new StartError(`cannot listen on ${address.host}:${address.port} (${code})`, 1);
    }
  }

  /** Restores each target's committed state; the writer then does what only it does. */
  private async restore(): Promise<void> {
    const view = await readCommittedView(this.ledger, chainOf(this.config));
    const byTarget = new Map<string, StoredTransition>(view.latest.map((t) => [t.targetId, t]));
    for (const target of this.config.targets) {
      const latest = byTarget.get(target.id) ?? null;
      this.engine.restore(target, latest, view.blockedBy.get(target.id) ?? null);
      this.scheduler.upsert(target.id, planOf(target));
    }
    await this.leadership.start(view);
  }

  private logStart(): void {
    const { run, previous, gap } = this.run;
    const { targets, global } = this.config;
    this.options.logger.info(
      {
        event: "start",
        instance: run.instance,
        run: run.id,
        targets: targets.length,
        previous_run: previous?.id ?? null,
        previous_clean_stop: previous ? previous.stoppedAt !== null : null,
        gap_seconds: gap && gap.end !== null ? (gap.end - gap.start) / 1000 : null,
        shard: global.shard ? formatShard(global.shard) : null,
        ha_group: global.haGroup,
        ha_role: this.ha?.role ?? null,
        listen: this.server ? `${this.server.address.host}:${this.server.address.port}` : null,
      },
      `pantau started: ${targets.length} targets`,
    );
  }

  private async reloadAnswer(): Promise<ApiResponse> {
    const outcome = await this.reload();
    if (!outcome.ok) {
      const issues = outcome.issues.map(formatConfigIssue);
      return { status: 400, body: { error: "config rejected", issues } };
    }
    const { added, changed, removed } = outcome;
    return { status: 200, body: { status: "ok", added, changed, removed } };
  }

  /** Re-reads the config; an invalid one is rejected and the old one keeps running. */
  reload(): Promise<ReloadOutcome> {
    const outcome = this.reloading.then(() => this.reloadNow());
    this.reloading = outcome.catch(() => undefined);
    return outcome;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    const loaded = await loadDaemonConfig(this.options);
    if (!loaded.ok) {
      const outcome = this.rejectReload(loaded.issues);
      const { logger } = this.options;
      logger.error({ event: "reload", ok: false }, "config reload rejected; keeping the old one");
      return outcome;
    }
    const next = loaded.config;
    const pairChange = haPairChange(this.config, next);
    if (pairChange !== null) return this.rejectReload([pairChange]);
    const listenOverridden = this.options.listen !== undefined;
    const restartOnly = await restartOnlyIssues(this.config, next, { listenOverridden });
    if (restartOnly.length > 0) return this.rejectReload(restartOnly);
    const token = await readBearerToken(next);
    if (token !== null && typeof token !== "string") return this.rejectReload([token]);
    this.bearerToken = token;
    const changes = targetChanges(this.config.targets, next.targets);
    for (const id of changes.removed) {
      this.scheduler.remove(id);
      this.engine.remove(id);
    }
    const latest = await this.latestOf(changes.added);
    for (const target of changes.apply) {
      this.engine.update(target, latest.get(target.id) ?? null);
      this.scheduler.upsert(target.id, planOf(target));
    }
    this.config = next;
    const maxPendingBefore = this.engine.queueState.max;
    // a test's tuning stays what it was at start; otherwise the file's bound applies
    const maxPending = this.options.engineTuning?.maxPending ?? next.storage.maxPending;
    this.engine.setPolicy({
      canaries: next.global.canaries,
      maintenance: next.maintenance,
      maxPending,
    });
    this.metrics.ledgerQueue.queueLimitChanged(maxPending);
    this.metrics.syncTargets(next.targets, (id) => this.engine.committedState(id));
    this.metrics.configReloaded(true, this.clock.now());
    const { added, changed, removed } = changes;
    const limit = maxPending !== maxPendingBefore ? { max_pending: maxPending } : {};
    this.options.logger.info(
      { event: "reload", ok: true, added, changed, removed, ...limit },
      `config reloaded: +${added.length} ~${changed.length} -${removed.length}`,
    );
    return { ok: true, added, changed, removed };
  }

  /** A reload that cannot be applied: each issue logged, the metric says so, the old config stays. */
  private rejectReload(issues: ConfigIssue[]): ReloadOutcome {
    for (const issue of issues) {
      this.options.logger.error(
        { event: "reload_error", code: issue.code },
        formatConfigIssue(issue),
      );
    }
    this.metrics.configReloaded(false, this.clock.now());
    return { ok: false, issues };
  }

  /**
   * The last committed transition of each id (re-)added by a reload: an id removed earlier
   * while up or degraded is still in that state in the ledger, and its chain continues there.
   */
  private async latestOf(ids: readonly string[]): Promise<Map<string, StoredTransition>> {
    if (ids.length === 0) return new Map();
    // a removal still waiting for its commit would otherwise be read as the state before it
    await this.engine.flush();
    const wanted = new Set(ids);
    const latest = await this.ledger.latestTransitions(chainOf(this.config));
    return new Map(latest.filter((t) => wanted.has(t.targetId)).map((t) => [t.targetId, t]));
  }

  /** Stops scheduling, lets probes in flight end (bounded by their timeout), stops cleanly. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.started = false;
    this.heartbeat.stop();
    const longestTimeout = Math.max(0, ...this.config.targets.map((t) => t.timeout));
    const drained = this.scheduler.stop();
    let boundTimer: ReturnType<Timers["setTimeout"]> | null = null;
    const bound = new Promise<"timeout">((resolve) => {
      boundTimer = this.timers.setTimeout(() => resolve("timeout"), longestTimeout + 1000);
      boundTimer.unref?.();
    });
    if ((await Promise.race([drained, bound])) === "timeout") this.engine.abortProbes();
    if (boundTimer) this.timers.clearTimeout(boundTimer);
    await this.engine.flush();
    if (this.engine.pendingCount > 0) {
      this.options.logger.error(
        { event: "stop", uncommitted: this.engine.pendingCount },
        "stopping with transitions the ledger did not accept",
      );
    }
    await this.leadership.stop();
    await this.ledger.stopRun(this.run.run.id, this.clock.now());
    await this.server?.close();
    await this.ledger.close();
    this.options.logger.info({ event: "stop", run: this.run.run.id }, "pantau stopped cleanly");
  }
}
