import { readBearerToken } from "../config/bearer-token.js";
import { chainOf, haPairOf } from "../config/reload-diff.js";
import { formatShard } from "../config/shard.js";
import type { Config } from "../config/types.js";
import { Engine } from "../engine/engine.js";
import type { RunHeartbeat } from "../engine/heartbeat.js";
import { apiRoutes } from "../expose/api.js";
import type { ExpositionFormat } from "../expose/exposition.js";
import { PantauMetrics } from "../expose/metrics.js";
import { pushRoute } from "../expose/push-route.js";
import { readiness } from "../expose/readiness.js";
import { type ApiResponse, type HttpServerHandle, startHttpServer } from "../expose/server.js";
import { DEFAULTS } from "../fields/defaults.js";
import { formatConfigIssue } from "../fields/errors.js";
import { type ListenAddress, listenAddressProblem, parseListenAddress } from "../fields/listen.js";
import type { HaMember } from "../fleet/ha-member.js";
import { Leadership } from "../fleet/leadership.js";
import { readCommittedView } from "../ledger/committed-view.js";
import { isLedgerError } from "../ledger/errors.js";
import { InstanceLock } from "../ledger/instance-lock.js";
import type { Ledger, RunStart, StoredTransition } from "../ledger/ledger.js";
import { openLedger } from "../ledger/open.js";
import { engineLogger } from "../log/engine-log.js";
import { probeTarget } from "../probe/registry.js";
import { QuorumService } from "../quorum/service.js";
import { Scheduler } from "../schedule/scheduler.js";
import { type Clock, systemClock, systemTimers, type Timers } from "../time/clock.js";
import { VERSION } from "../version.js";
import { type DaemonOptions, DaemonStartError, loadDaemonConfig, StartError } from "./options.js";
import { Reloader, type ReloadOutcome } from "./reload.js";
import { recoverBeforeStart, stopWithJournal } from "./stop-journal.js";
import { watchTarget } from "./watch.js";

export { type DaemonOptions, DaemonStartError, StartError } from "./options.js";
export type { ReloadOutcome } from "./reload.js";

/** Transitions decided within this window commit together; well inside the 1 s budget. */
const COMMIT_WINDOW_MS = 100;

/** What a stop may take at most, unless DaemonOptions.stopTimeoutMs says otherwise. */
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/**
 * Wires config → ledger → engine → scheduler, and the readers of the engine's events (log,
 * metrics, alerts, the HTTP API). The only place that knows every part.
 */
export class Daemon {
  private stopping: Promise<void> | null = null;
  private started = false;
  private server: HttpServerHandle | null = null;
  private readonly heartbeat: RunHeartbeat;
  private readonly leadership: Leadership;
  /** This daemon as a vantage of a quorum group (a decider candidate), else null. */
  private readonly quorum: QuorumService | null;
  private readonly reloader: Reloader;
  /** A SQLite ledger's lock of this instance (none on PostgreSQL): released at the very end. */
  private lock: InstanceLock | null = null;

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
    this.heartbeat = engine.heartbeat(everyMs);
    this.reloader = new Reloader({
      options,
      engine,
      scheduler,
      metrics,
      ledger,
      clock,
      config: () => this.config,
      accepted: (next, token) => {
        this.config = next;
        this.bearerToken = token;
      },
    });
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
      // a vantage of a quorum group pages nothing of its own: the group's decider pages
      alertmanager: () => (this.config.quorum === null ? this.config.alertmanager : null),
      onDelivery: (result) => metrics.alertmanagerPosts.inc({ result }),
    });
    const quorum = config.quorum;
    this.quorum =
      quorum === null || config.storage.url === null
        ? null
        : new QuorumService({
            settings: quorum,
            url: config.storage.url,
            instance: config.global.instance,
            ledger,
            targets: () => this.config.targets,
            clock,
            timers,
            heartbeatMs: everyMs,
            logger: options.logger,
            registry: metrics.registry,
            alertmanager: () => this.config.alertmanager,
            onDelivery: (result) => metrics.alertmanagerPosts.inc({ result }),
          });
  }

  /** Re-reads the config; an invalid one is rejected and the old one keeps running. */
  reload(): Promise<ReloadOutcome> {
    return this.reloader.reload();
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
    const lock = takeInstanceLock(config, ledger);
    // what a stop on a full disk journaled is committed before this run starts and probes
    await recoverBeforeStart(config, ledger, lock, options.logger);
    // a member of an HA group is alive while it beats: two heartbeats of slack
    const runOptions = {
      haGroup: haPairOf(config),
      liveWithinMs: 2 * config.storage.heartbeat,
      quorumGroup: config.quorum?.group ?? null,
    };
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
    daemon.lock = lock;
    metrics.configReloaded(true, clock.now());
    await daemon.restore();
    metrics.syncTargets(config.targets, (id) => engine.committedState(id));
    // before the first push can arrive: last pushes observed again, passed deadlines caught up
    engine.push.start();
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
      renderMetrics: (format: ExpositionFormat) => this.metrics.exposition(format),
      version: VERSION,
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
      push: this.pushRoute(),
      bearerToken: () => this.bearerToken,
      logger: this.options.logger,
    };
    try {
      this.server = await startHttpServer(address, context);
    } catch (error) {
      // an HA member releases its lock (and stops its election loop) before giving up
      await this.leadership.stop();
      await this.quorum?.stop();
      await this.ledger.stopRun(this.run.run.id, this.clock.now());
      await this.ledger.close();
      this.lock?.release();
      const code = error instanceof Error && "code" in error ? String(error.code) : String(error);
      throw new StartError(`cannot listen on ${address.host}:${address.port} (${code})`, 1);
    }
  }

  /** Push targets report in here, each with its own token. */
  private pushRoute() {
    const { engine, metrics, options } = this;
    return pushRoute({
      clock: this.clock,
      target: (id) => engine.target(id),
      received: (id, status, message) => engine.push.received(id, status, message),
      rejected: (reason, target) => {
        metrics.push.rejected(reason);
        options.logger.debug({ event: "push_rejected", target, reason }, "push refused");
      },
    });
  }

  /** Restores each target's committed state; the writer then does what only it does. */
  private async restore(): Promise<void> {
    const chain = chainOf(this.config);
    const view = await readCommittedView(this.ledger, chain);
    const byTarget = new Map<string, StoredTransition>(view.latest.map((t) => [t.targetId, t]));
    const pushes = new Map((await this.ledger.lastPushes(chain)).map((p) => [p.targetId, p]));
    for (const target of this.config.targets) {
      const latest = byTarget.get(target.id) ?? null;
      this.engine.restore(target, latest, view.blockedBy.get(target.id) ?? null);
      watchTarget(target, this, pushes.get(target.id) ?? null);
    }
    await this.leadership.start(view);
    await this.quorum?.start();
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
    if (!outcome.ok && "abandoned" in outcome) {
      return { status: 503, body: { error: "pantau is stopping: the reload was not applied" } };
    }
    if (!outcome.ok) {
      const issues = outcome.issues.map(formatConfigIssue);
      return { status: 400, body: { error: "config rejected", issues } };
    }
    const { added, changed, removed } = outcome;
    return { status: 200, body: { status: "ok", added, changed, removed } };
  }

  /**
   * Stops scheduling, lets probes in flight end (bounded by their timeout), stops cleanly, within
   * `withinMs` (the daemon's stop timeout unless given: less is left when the signal came during
   * the start).
   */
  stop(withinMs?: number): Promise<void> {
    this.stopping ??= this.doStop(
      withinMs ?? this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    );
    return this.stopping;
  }

  /**
   * Bounded by `budget` (the stop timeout, 30 s): probes end, the queue is committed while the ledger
   * takes it, and what it will not take by then goes to the recovery journal (stop-journal.ts).
   * Rejects with StopLossError when something could be neither committed nor journaled.
   */
  private async doStop(budget: number): Promise<void> {
    const began = this.clock.monotonic();
    const left = () => Math.max(0, budget - (this.clock.monotonic() - began));
    this.started = false;
    this.reloader.abandon();
    this.heartbeat.stop();
    this.engine.push.stop();
    // a loop, not Math.max(...): a spread of 160,000 arguments overflows the call stack
    const longestTimeout = this.config.targets.reduce((max, t) => Math.max(max, t.timeout), 0);
    const drained = this.scheduler.stop();
    let boundTimer: ReturnType<Timers["setTimeout"]> | null = null;
    const bound = new Promise<"timeout">((resolve) => {
      boundTimer = this.timers.setTimeout(
        () => resolve("timeout"),
        Math.min(longestTimeout + 1000, left() / 2),
      );
      boundTimer.unref?.();
    });
    if ((await Promise.race([drained, bound])) === "timeout") this.engine.abortProbes();
    if (boundTimer) this.timers.clearTimeout(boundTimer);
    try {
      await stopWithJournal({
        config: this.config,
        ledger: this.ledger,
        engine: this.engine,
        run: this.run.run,
        clock: this.clock,
        logger: this.options.logger,
        withinMs: left(),
        beforeStopRun: async () => {
          await this.leadership.stop();
          await this.quorum?.stop();
        },
      });
    } finally {
      await this.server?.close();
      await this.ledger.close();
      this.lock?.release();
    }
  }
}

/**
 * On a SQLite ledger, this instance's lock: a second daemon of the same instance on the same
 * file stops here, before it records a run, with exit 1 and what to do.
 */
function takeInstanceLock(config: Config, ledger: Ledger): InstanceLock | null {
  if (config.storage.url !== null || config.storage.path === ":memory:") return null;
  try {
    return InstanceLock.take(config.storage.path ?? DEFAULTS.storagePath, config.global.instance);
  } catch (error) {
    void ledger.close();
    if (isLedgerError(error, "LEDGER_LOCKED")) throw new StartError(error.message, 1);
    throw error;
  }
}
