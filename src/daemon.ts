import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { AlertmanagerChannel } from "./alert/alertmanager-channel.js";
import { AlertNotifier } from "./alert/notifier.js";
import type { ConfigIssue } from "./config/errors.js";
import { formatConfigIssue } from "./config/errors.js";
import { type ListenAddress, listenAddressProblem, parseListenAddress } from "./config/listen.js";
import { loadConfig } from "./config/load.js";
import { restartOnlyIssues } from "./config/restart-only.js";
import { formatShard, type Shard } from "./config/shard.js";
import type { Config, Target } from "./config/types.js";
import { Engine, type EngineOptions, type EngineSubscriber } from "./engine/engine.js";
import { ledgerTroubleReason } from "./engine/ledger-trouble.js";
import { apiRoutes } from "./expose/api.js";
import { PantauMetrics } from "./expose/metrics.js";
import {
  type ApiResponse,
  type HttpServerContext,
  type HttpServerHandle,
  startHttpServer,
} from "./expose/server.js";
import { haGroupName, LeaderElection } from "./fleet/election.js";
import { HaMember } from "./fleet/ha-member.js";
import type { Ledger, RunStart, StoredTransition } from "./ledger/ledger.js";
import { openLedger } from "./ledger/open.js";
import { engineLogger } from "./log/engine-log.js";
import type { Logger } from "./log/logger.js";
import { probeTarget } from "./probe/index.js";
import { type SchedulePlan, Scheduler, type SchedulerObserver } from "./schedule/scheduler.js";
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
  /** Extra readers of engine events (metrics, API), attached before the first probe. */
  subscribers?: EngineSubscriber[];
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

/** The config file with the daemon's overrides (--shard). */
function loadDaemonConfig(options: DaemonOptions) {
  return loadConfig(options.configFile, options.env ?? process.env, {
    hostname: hostname(),
    shard: options.shard ?? null,
  });
}

/** An HA member's pair: its group, with the shard when sharded (`jkt/1/4`); else null. */
function pairOf(config: Config): string | null {
  const group = config.global.haGroup;
  return group === null ? null : haGroupName(group, config.global.shard);
}

/** The name the daemon's transitions, outages and gaps are kept under: its HA pair, or itself. */
function chainOf(config: Config): string {
  return pairOf(config) ?? config.global.instance;
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
  private alertmanager: AlertNotifier | null = null;
  private bearerToken: string | null = null;
  private server: HttpServerHandle | null = null;
  /** This daemon's part in its HA group (`global.ha_group`), else null. */
  ha: HaMember | null = null;

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
    const loaded = await loadDaemonConfig(options);
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
    const haGroup = pairOf(config);
    // a member of an HA group is alive while it beats: two heartbeats of slack
    const runOptions = { haGroup, liveWithinMs: 2 * config.storage.heartbeat };
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
    engine.subscribe(metrics);
    engine.subscribe(metrics.ledgerQueue);
    metrics.ledgerQueue.queueLimitChanged(engine.queueState.max);
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
    if (haGroup === null) daemon.startAlertmanager();
    else daemon.joinHaGroup(haGroup);
    await daemon.restore();
    // the first election before the first probe: a lone member leads from the start
    await daemon.ha?.start();
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
      // an HA member releases its lock (and stops its election loop) before giving up
      await this.ha?.stop();
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
      renderMetrics: () => ({
        contentType: this.metrics.contentType,
        chunks: this.metrics.renderChunks(),
      }),
      readiness: () => this.readiness(),
      reload: () => this.reloadAnswer(),
      api: apiRoutes({
        clock: this.clock,
        ledger: this.ledger,
        engine: this.engine,
        instance: () => chainOf(this.config),
        targets: () => this.config.targets,
        maintenance: () => this.config.maintenance,
      }),
      bearerToken: () => this.bearerToken,
      logger: this.options.logger,
    };
  }

  private readiness(): { ready: true; role?: string } | { ready: false; reason: string } {
    if (!this.ready) return { ready: false, reason: this.stopping ? "stopping" : "starting" };
    const reasons: string[] = [];
    const trouble = this.engine.ledgerTrouble;
    if (trouble) reasons.push(ledgerTroubleReason(trouble, trouble.pending));
    const blind = this.engine.blind;
    if (blind) {
      const since = new Date(blind.since).toISOString();
      reasons.push(
        `monitor blind since ${since}: every canary fails (${blind.canaries.join(", ")})`,
      );
    }
    if (reasons.length > 0) return { ready: false, reason: reasons.join("; ") };
    const group = pairOf(this.config);
    return this.ha && group
      ? { ready: true, role: `${this.ha.role} of HA group ${group}` }
      : { ready: true };
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
    const instance = chainOf(this.config);
    const latest = await this.ledger.latestTransitions(instance);
    const byTarget = new Map<string, StoredTransition>(latest.map((t) => [t.targetId, t]));
    // An open outage's attribution may have changed after its →down: the outage row knows.
    const open = await this.ledger.outages({ instance, open: true });
    const blockedBy = new Map(
      open.map((o) => [o.targetId, o.blockedUntil === null ? o.blockedBy : null]),
    );
    for (const target of this.config.targets) {
      this.engine.restore(
        target,
        byTarget.get(target.id) ?? null,
        blockedBy.get(target.id) ?? null,
      );
      this.scheduler.upsert(target.id, schedulePlan(target));
    }
    // an HA member does this when it becomes the leader
    if (this.engine.writes) await this.leaderDuties(latest, blockedBy);
  }

  /**
   * What only the writer does with the committed state it starts from: outages still open keep
   * paging (their alerts are sent again with their true start), and outages of targets gone
   * from the config end.
   */
  private async leaderDuties(
    latest: readonly StoredTransition[],
    blockedBy: ReadonlyMap<string, string | null>,
  ): Promise<void> {
    this.alertmanager?.restore(
      latest.map((t) =>
        t.to === "down" ? { ...t, blockedBy: blockedBy.get(t.targetId) ?? null } : t,
      ),
    );
    const configured = new Set(this.config.targets.map((t) => t.id));
    const now = this.clock.now();
    const orphans = latest.filter((t) => t.to === "down" && !configured.has(t.targetId));
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
        // no probe of it in this run: when it really stopped being down is not known
        previousProbeAt: null,
        reason: "removed",
        detail: "target no longer in the configuration",
        blockedBy: null,
        maintenance: false,
      })),
    );
  }

  /** HA group member: starts as a standby; elected by a PostgreSQL advisory lock (src/fleet). */
  private joinHaGroup(haGroup: string): void {
    const url = this.config.storage.url;
    if (url === null) throw new Error("bug: ha_group without storage.url passed validation");
    const every = this.config.storage.heartbeat;
    let member: HaMember | null = null;
    const election = new LeaderElection(
      { url, haGroup, keepaliveSeconds: every / 1000 },
      (reason) => member?.lockLost(reason),
    );
    member = new HaMember({
      haGroup,
      runId: this.run.run.id,
      ledger: this.ledger,
      engine: this.engine,
      election,
      clock: this.clock,
      timers: this.options.timers ?? systemTimers,
      everyMs: every,
      logger: this.options.logger,
      registry: this.metrics.registry,
      promoted: async (latest, blockedBy) => {
        this.startAlertmanager();
        await this.leaderDuties(latest, blockedBy);
      },
      demoted: async () => {
        const notifier = this.alertmanager;
        this.alertmanager = null;
        if (notifier === null) return;
        this.engine.unsubscribe(notifier.events);
        await notifier.stop();
      },
    });
    this.ha = member;
  }

  /** Direct pushes to Alertmanager, when configured; never in the way of probing or the ledger. */
  private startAlertmanager(): void {
    const settings = this.config.alertmanager;
    if (!settings) return;
    this.alertmanager = new AlertNotifier({
      channel: new AlertmanagerChannel({ settings }),
      resendMs: settings.resend,
      // one alert identity for the group, whichever member pushes it
      instance: chainOf(this.config),
      clock: this.clock,
      timers: this.options.timers ?? systemTimers,
      targetName: (id) => this.engine.target(id)?.name,
      onDelivery: (result) => this.metrics.alertmanagerPosts.inc({ result }),
      logger: this.options.logger,
    });
    this.engine.subscribe(this.alertmanager.events);
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
        shard: this.config.global.shard ? formatShard(this.config.global.shard) : null,
        ha_group: this.config.global.haGroup,
        ha_role: this.ha?.role ?? null,
        listen: this.server ? `${this.server.address.host}:${this.server.address.port}` : null,
      },
      `pantau started: ${this.config.targets.length} targets`,
    );
  }

  private startHeartbeat(): void {
    const every = this.config.storage.heartbeat;
    this.heartbeatTimer = setInterval(() => {
      // logged by the engine's ledger-trouble report, once per interval, not per heartbeat
      this.ledger.heartbeat(this.run.run.id, this.clock.now()).then(
        () => this.engine.ledgerWriteSucceeded("heartbeat"),
        (error: unknown) => this.engine.ledgerWriteFailed("heartbeat", error),
      );
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
    const loaded = await loadDaemonConfig(this.options);
    if (!loaded.ok) {
      const outcome = this.rejectReload(loaded.issues);
      this.options.logger.error(
        { event: "reload", ok: false },
        "config reload rejected; keeping the old one",
      );
      return outcome;
    }
    const next = loaded.config;
    const pairChange = this.pairChange(next);
    if (pairChange !== null) return this.rejectReload([pairChange]);
    const listenOverridden = this.options.listen !== undefined;
    const restartOnly = await restartOnlyIssues(this.config, next, { listenOverridden });
    if (restartOnly.length > 0) return this.rejectReload(restartOnly);
    const token = await readBearerToken(next);
    if (token !== null && typeof token !== "string") return this.rejectReload([token]);
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
    const maxPendingBefore = this.engine.queueState.max;
    this.config = next;
    this.engine.setPolicy({
      canaries: next.global.canaries,
      maintenance: next.maintenance,
      // a test's tuning stays what it was at start; otherwise the file's bound applies
      maxPending: this.options.engineTuning?.maxPending ?? next.storage.maxPending,
    });
    const maxPending = this.engine.queueState.max;
    this.metrics.ledgerQueue.queueLimitChanged(maxPending);
    this.metrics.syncTargets(next.targets, (id) => this.engine.committedState(id));
    this.metrics.configReloaded(true, this.clock.now());
    this.options.logger.info(
      {
        event: "reload",
        ok: true,
        added,
        changed,
        removed,
        ...(maxPending !== maxPendingBefore && { max_pending: maxPending }),
      },
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
   * An HA pair (group and shard) is part of the run: its chain, its election. A reload that
   * would change it is refused (it takes a restart).
   */
  private pairChange(next: Config): ConfigIssue | null {
    const running = pairOf(this.config);
    const configured = pairOf(next);
    if (configured === running) return null;
    const message = `the HA pair is ${running ?? "none"}, the file says ${configured ?? "none"}: changing ha_group or shard of an HA member takes a restart`;
    return { ...issueAt(next, "global.ha_group", message), code: "CONFIG_INVALID" };
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
    // releasing the lock hands over at once: the standby wins at its next heartbeat
    await this.ha?.stop();
    await this.ledger.stopRun(this.run.run.id, this.clock.now());
    await this.server?.close();
    await this.ledger.close();
    this.options.logger.info({ event: "stop", run: this.run.run.id }, "pantau stopped cleanly");
  }
}
