import { readFile } from "node:fs/promises";
import type { ConfigIssue } from "./config/errors.js";
import { formatConfigIssue } from "./config/errors.js";
import { type ListenAddress, listenAddressProblem, parseListenAddress } from "./config/listen.js";
import { loadConfig } from "./config/load.js";
import type { Config, Target } from "./config/types.js";
import { Engine, type EngineSubscriber } from "./engine/engine.js";
import { AlertmanagerNotifier } from "./expose/alertmanager.js";
import { apiRoutes } from "./expose/api.js";
import { engineLogger, type Logger } from "./expose/log.js";
import { PantauMetrics } from "./expose/metrics.js";
import {
  type ApiResponse,
  type HttpServerContext,
  type HttpServerHandle,
  startHttpServer,
} from "./expose/server.js";
import type { Ledger, RunStart, StoredTransition } from "./ledger/ledger.js";
import { openLedger } from "./ledger/open.js";
import { probeTarget } from "./probe/index.js";
import { type SchedulePlan, Scheduler, type SchedulerObserver } from "./schedule/scheduler.js";
import { type Clock, systemClock, systemTimers, type Timers } from "./time/clock.js";
import { VERSION } from "./version.js";

export interface DaemonOptions {
  configFile: string;
  logger: Logger;
  /** Overrides `server.listen`; `none` serves no HTTP (tests of the engine alone). */
  listen?: string;
  clock?: Clock;
  timers?: Timers;
  env?: Record<string, string | undefined>;
  /** Extra readers of engine events (metrics, API), attached before the first probe. */
  subscribers?: EngineSubscriber[];
  schedulerObserver?: SchedulerObserver;
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

/** `server.bearer_token`, or the first line of `bearer_token_file` (read at start and reload). */
async function readBearerToken(config: Config): Promise<string | null | ConfigIssue> {
  const { bearerToken, bearerTokenFile } = config.server;
  if (!bearerTokenFile) return bearerToken;
  try {
    const token = (await readFile(bearerTokenFile, "utf8")).split(/\r?\n/)[0]?.trim() ?? "";
    if (token) return token;
    return issueAt(config, "server.bearer_token_file", `"${bearerTokenFile}" is empty`);
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
    return issueAt(
      config,
      "server.bearer_token_file",
      `cannot read "${bearerTokenFile}" (${code})`,
    );
  }
}

function issueAt(config: Config, path: string, message: string): ConfigIssue {
  return { code: "CONFIG_READ", file: config.file, line: 1, col: 1, path, message };
}

export function schedulePlan(target: Target): SchedulePlan {
  return target.schedule
    ? { kind: "cron", pattern: target.schedule }
    : { kind: "interval", intervalMs: target.interval };
}

/** Wires config → ledger → engine → scheduler. The only place that knows every part. */
export class Daemon {
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  /** Reloads run one at a time: each diffs against the config the previous one applied. */
  private reloading: Promise<unknown> = Promise.resolve();
  private ready = false;
  private alertmanager: AlertmanagerNotifier | null = null;
  private bearerToken: string | null = null;
  private server: HttpServerHandle | null = null;

  private constructor(
    private config: Config,
    readonly ledger: Ledger,
    readonly engine: Engine,
    readonly scheduler: Scheduler,
    readonly metrics: PantauMetrics,
    readonly run: RunStart,
    private readonly options: DaemonOptions,
  ) {}

  static async start(options: DaemonOptions): Promise<Daemon> {
    const clock = options.clock ?? systemClock;
    const timers = options.timers ?? systemTimers;
    const loaded = await loadConfig(options.configFile, options.env ?? process.env);
    if (!loaded.ok) throw new DaemonStartError(loaded.issues);
    const config = loaded.config;
    const listenText = options.listen ?? config.server.listen;
    const listen = listenText === "none" ? null : parseListenAddress(listenText);
    if (listenText !== "none" && !listen) {
      throw new StartError(`--listen: ${listenAddressProblem(listenText)}`, 2);
    }
    const bearerToken = await readBearerToken(config);
    if (typeof bearerToken !== "string" && bearerToken !== null) {
      throw new DaemonStartError([bearerToken]);
    }
    const metrics = new PantauMetrics({ version: VERSION });
    const ledger = await openLedger(config.storage);
    const run = await ledger.startRun(config.global.instance, clock.now());
    const engine = new Engine({
      clock,
      timers,
      ledger,
      runId: run.run.id,
      instance: config.global.instance,
      canaries: config.global.canaries,
      maintenance: config.maintenance,
      runProbe: (target, signal) => probeTarget(target, { clock, signal }),
      batchWindowMs: COMMIT_WINDOW_MS,
    });
    engine.subscribe(engineLogger(options.logger));
    engine.subscribe(metrics);
    for (const subscriber of options.subscribers ?? []) engine.subscribe(subscriber);
    const scheduler = new Scheduler({
      clock,
      timers,
      maxInFlight: config.global.maxInFlight,
      runProbe: (id) => engine.probe(id),
      observer: options.schedulerObserver ?? metrics.schedulerObserver,
    });
    const daemon = new Daemon(config, ledger, engine, scheduler, metrics, run, options);
    daemon.bearerToken = bearerToken;
    metrics.configReloaded(true, clock.now());
    daemon.startAlertmanager();
    await daemon.restore();
    metrics.syncTargets(config.targets, (id) => engine.committedState(id));
    if (listen) await daemon.listen(listen);
    scheduler.start();
    daemon.ready = true;
    daemon.startHeartbeat();
    daemon.logStart();
    return daemon;
  }

  /** A port that cannot be bound ends the start cleanly: the run is marked stopped. */
  private async listen(address: ListenAddress): Promise<void> {
    try {
      this.server = await startHttpServer(address, this.httpContext());
    } catch (error) {
      await this.ledger.stopRun(this.run.run.id, this.clock.now());
      await this.ledger.close();
      const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
      throw new StartError(`cannot listen on ${address.host}:${address.port} (${code})`, 1);
    }
  }

  /** The bound HTTP address (port resolved when `:0` was asked for). */
  get httpAddress(): { host: string; port: number } | null {
    return this.server?.address ?? null;
  }

  private httpContext(): HttpServerContext {
    return {
      renderMetrics: async () => ({
        contentType: this.metrics.contentType,
        text: await this.metrics.render(),
      }),
      readiness: () => this.readiness(),
      reload: () => this.reloadAnswer(),
      api: apiRoutes({
        clock: this.clock,
        ledger: this.ledger,
        engine: this.engine,
        instance: () => this.config.global.instance,
        targets: () => this.config.targets,
        maintenance: () => this.config.maintenance,
      }),
      bearerToken: () => this.bearerToken,
      logger: this.options.logger,
    };
  }

  private readiness(): { ready: true } | { ready: false; reason: string } {
    if (!this.ready) return { ready: false, reason: this.stopping ? "stopping" : "starting" };
    const blind = this.engine.blind;
    if (!blind) return { ready: true };
    const since = new Date(blind.since).toISOString();
    return {
      ready: false,
      reason: `monitor blind since ${since}: every canary fails (${blind.canaries.join(", ")})`,
    };
  }

  private async reloadAnswer(): Promise<ApiResponse> {
    const outcome = await this.reload();
    if (outcome.ok) {
      const { added, changed, removed } = outcome;
      return { status: 200, body: { status: "ok", added, changed, removed } };
    }
    return {
      status: 400,
      body: { error: "config rejected", issues: outcome.issues.map(formatConfigIssue) },
    };
  }

  get currentConfig(): Config {
    return this.config;
  }

  /** Restores each target's committed state; outages of targets gone from the config end. */
  private async restore(): Promise<void> {
    const instance = this.config.global.instance;
    const latest = await this.ledger.latestTransitions(instance);
    const byTarget = new Map<string, StoredTransition>(latest.map((t) => [t.targetId, t]));
    // An open outage's attribution may have changed after its →down: the outage row knows.
    const open = await this.ledger.outages({ instance, open: true });
    const blockedBy = new Map(
      open.map((o) => [o.targetId, o.blockedUntil === null ? o.blockedBy : null]),
    );
    // Outages still open keep paging: their alerts are sent again with their true start.
    this.alertmanager?.restore(
      latest.map((t) =>
        t.to === "down" ? { ...t, blockedBy: blockedBy.get(t.targetId) ?? null } : t,
      ),
    );
    for (const target of this.config.targets) {
      this.engine.restore(
        target,
        byTarget.get(target.id) ?? null,
        blockedBy.get(target.id) ?? null,
      );
      this.scheduler.upsert(target.id, schedulePlan(target));
      byTarget.delete(target.id);
    }
    const now = this.clock.now();
    const orphans = [...byTarget.values()].filter((t) => t.to === "down");
    if (orphans.length === 0) return;
    await this.ledger.commit(
      this.run.run.id,
      orphans.map((t) => ({
        targetId: t.targetId,
        service: t.service,
        site: t.site,
        from: "down" as const,
        to: "unknown" as const,
        at: now,
        detectedAt: now,
        reason: "removed",
        detail: "target no longer in the configuration",
        blockedBy: null,
        maintenance: false,
      })),
    );
  }

  /** Direct pushes to Alertmanager, when configured; never in the way of probing or the ledger. */
  private startAlertmanager(): void {
    const settings = this.config.alertmanager;
    if (!settings) return;
    this.alertmanager = new AlertmanagerNotifier({
      settings,
      instance: this.config.global.instance,
      clock: this.clock,
      timers: this.options.timers ?? systemTimers,
      targetName: (id) => this.engine.target(id)?.name,
      onPost: (result) => this.metrics.alertmanagerPosts.inc({ result }),
      logger: this.options.logger,
    });
    this.engine.subscribe(this.alertmanager);
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  private logStart(): void {
    const { run, previous, gap } = this.run;
    this.options.logger.info(
      {
        event: "start",
        instance: run.instance,
        run: run.id,
        targets: this.config.targets.length,
        previous_run: previous?.id ?? null,
        previous_clean_stop: previous ? previous.stoppedAt !== null : null,
        gap_seconds: gap && gap.end !== null ? (gap.end - gap.start) / 1000 : null,
        listen: this.server ? `${this.server.address.host}:${this.server.address.port}` : null,
      },
      `pantau started: ${this.config.targets.length} targets`,
    );
  }

  private startHeartbeat(): void {
    const every = this.config.storage.heartbeat;
    this.heartbeatTimer = setInterval(() => {
      this.ledger.heartbeat(this.run.run.id, this.clock.now()).catch((error: unknown) => {
        this.options.logger.error({ event: "heartbeat_error", err: error }, "heartbeat failed");
      });
    }, every);
    this.heartbeatTimer.unref();
  }

  /** Re-reads the config; an invalid one is rejected and the old one keeps running. */
  reload(): Promise<ReloadOutcome> {
    const outcome = this.reloading.then(() => this.reloadNow());
    this.reloading = outcome.catch(() => undefined);
    return outcome;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    const logger = this.options.logger;
    const loaded = await loadConfig(this.options.configFile, this.options.env ?? process.env);
    if (!loaded.ok) {
      for (const issue of loaded.issues) {
        logger.error({ event: "reload_error", code: issue.code }, formatConfigIssue(issue));
      }
      logger.error({ event: "reload", ok: false }, "config reload rejected; keeping the old one");
      this.metrics.configReloaded(false, this.clock.now());
      return { ok: false, issues: loaded.issues };
    }
    const next = loaded.config;
    const token = await readBearerToken(next);
    if (token !== null && typeof token !== "string") {
      logger.error({ event: "reload_error", code: token.code }, formatConfigIssue(token));
      this.metrics.configReloaded(false, this.clock.now());
      return { ok: false, issues: [token] };
    }
    this.bearerToken = token;
    const before = new Map(this.config.targets.map((t) => [t.id, t]));
    const added: string[] = [];
    const changed: string[] = [];
    const apply: Target[] = [];
    for (const target of next.targets) {
      const old = before.get(target.id);
      before.delete(target.id);
      if (!old) added.push(target.id);
      else if (JSON.stringify(old) !== JSON.stringify(target)) changed.push(target.id);
      else continue;
      apply.push(target);
    }
    const removed = [...before.keys()];
    for (const id of removed) {
      this.scheduler.remove(id);
      this.engine.remove(id);
    }
    const latest = await this.latestOf(added);
    for (const target of apply) {
      this.engine.update(target, latest.get(target.id) ?? null);
      this.scheduler.upsert(target.id, schedulePlan(target));
    }
    this.config = next;
    this.engine.setPolicy({ canaries: next.global.canaries, maintenance: next.maintenance });
    this.metrics.syncTargets(next.targets, (id) => this.engine.committedState(id));
    this.metrics.configReloaded(true, this.clock.now());
    logger.info(
      { event: "reload", ok: true, added, changed, removed },
      `config reloaded: +${added.length} ~${changed.length} -${removed.length}`,
    );
    return { ok: true, added, changed, removed };
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
    const latest = await this.ledger.latestTransitions(this.run.run.instance);
    return new Map(latest.filter((t) => wanted.has(t.targetId)).map((t) => [t.targetId, t]));
  }

  /** Stops scheduling, lets probes in flight end (bounded by their timeout), stops cleanly. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.ready = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    const longestTimeout = Math.max(0, ...this.config.targets.map((t) => t.timeout));
    const drained = this.scheduler.stop();
    const bound = new Promise<"timeout">((resolve) => {
      setTimeout(() => resolve("timeout"), longestTimeout + 1000).unref();
    });
    if ((await Promise.race([drained, bound])) === "timeout") this.engine.abortProbes();
    await this.engine.flush();
    if (this.engine.pendingCount > 0) {
      this.options.logger.error(
        { event: "stop", uncommitted: this.engine.pendingCount },
        "stopping with transitions the ledger did not accept",
      );
    }
    await this.alertmanager?.stop();
    await this.ledger.stopRun(this.run.run.id, this.clock.now());
    await this.server?.close();
    await this.ledger.close();
    this.options.logger.info({ event: "stop", run: this.run.run.id }, "pantau stopped cleanly");
  }
}
