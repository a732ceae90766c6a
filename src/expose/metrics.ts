import client, { Registry } from "prom-client";
import type { Target } from "../config/types.js";
import {
  type CommittedState,
  type CommittedTransition,
  type EngineEvent,
  endedOutageMs,
  type LedgerWrite,
} from "../engine/engine.js";
import type { PageHoldChange } from "../engine/page-holds.js";
import type { AttributionChange } from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import type { SchedulerObserver } from "../schedule/scheduler.js";
import { systemClock } from "../time/clock.js";
import {
  CONTENT_TYPE,
  durationSeconds,
  type ExpositionFormat,
  formatValue,
  OPENMETRICS_EOF,
  timestampSeconds,
} from "./exposition.js";
import { LedgerQueueMetrics } from "./ledger-queue-metrics.js";
import { PushMetrics } from "./push-metrics.js";
import { renderRegistry } from "./registry-text.js";
import { type RenderSlice, TargetSeries } from "./target-series.js";

/** Observed durations to the microsecond, as the per-target ones are shown (exposition.ts). */
const secondsOf = durationSeconds;

/** The counters prom-client's default metrics count from the process' start, not from ours. */
const PROCESS_COUNTERS = /^process_cpu_/;

const REDUNDANT_DEFAULT_METRICS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/**
 * Every metric of docs/metrics.md. State metrics change only on committed transitions; probe_*
 * metrics follow probe results. Per-target families are rendered by TargetSeries; the
 * aggregates and the daemon's own metrics live in a prom-client registry.
 */
export class PantauMetrics {
  readonly registry = new Registry();
  private readonly targets = new TargetSeries();
  /** service and site of each target, for the aggregate histograms. */
  private readonly groupOf = new Map<string, { service: string; site: string }>();

  private readonly outageDuration = new client.Histogram({
    name: "pantau_outage_duration_seconds",
    help: "Durations of ended outages",
    labelNames: ["service", "site"],
    buckets: [60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 172_800, 345_600, 604_800],
    registers: [this.registry],
  });
  private readonly probeLatency = new client.Histogram({
    name: "pantau_probe_latency_seconds",
    help: "Probe durations, for percentiles per service and site",
    labelNames: ["service", "site"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly schedulerLag = new client.Histogram({
    name: "pantau_scheduler_lag_seconds",
    help: "How late probes start against their plan",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly skipped = new client.Counter({
    name: "pantau_scheduler_skipped_total",
    help: "Planned probes skipped because the previous one was still running or waiting",
    labelNames: ["cause"],
    registers: [this.registry],
  });
  /** Probes running now, as the scheduler last said; read into the gauge only at a scrape. */
  private inFlightNow = 0;
  private readonly inFlight: client.Gauge = new client.Gauge({
    name: "pantau_probes_in_flight",
    help: "Probes running now",
    registers: [this.registry],
    // a gauge set twice a probe cost more than the probe's own bookkeeping: set at collection
    collect: (): void => this.inFlight.set(this.inFlightNow),
  });
  private readonly reloadOk = new client.Gauge({
    name: "pantau_config_last_reload_successful",
    help: "Whether the last configuration reload attempt was successful",
    registers: [this.registry],
  });
  private readonly reloadTime = new client.Gauge({
    name: "pantau_config_last_reload_success_timestamp_seconds",
    help: "Timestamp of the last successful configuration reload",
    registers: [this.registry],
  });
  private readonly ledgerWrites = new client.Counter({
    name: "pantau_ledger_writes_total",
    help: "Ledger writes (a batch of transitions in one transaction, or a blind gap) by result",
    labelNames: ["result"],
    registers: [this.registry],
  });
  private readonly ledgerWriteDuration = new client.Histogram({
    name: "pantau_ledger_write_duration_seconds",
    help: "Time to write one batch of transitions, or one blind gap",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly alertmanagerPosts = new client.Counter({
    name: "pantau_alertmanager_posts_total",
    help: "Alertmanager pushes by result",
    labelNames: ["result"],
    registers: [this.registry],
  });
  private readonly monitorBlind = new client.Gauge({
    name: "pantau_monitor_blind",
    help: "1 while every canary fails (the monitor's own network is cut)",
    registers: [this.registry],
  });
  /** Ledger queue and trouble, and clock jumps (read from the same events). */
  readonly ledgerQueue = new LedgerQueueMetrics(this.registry);
  /** Push targets: last push, next deadline, refused pushes. */
  readonly push = new PushMetrics(this.registry);

  private readonly renderSlice: RenderSlice;
  /** Wall-clock ms: when counters start from 0 (OpenMetrics `_created`). */
  private readonly now: () => number;
  /** `_created` of the registry's counters and histograms: they count from construction. */
  private readonly registryCreated: string;
  private readonly processCreated: string;

  constructor(options: {
    version: string;
    defaultMetrics?: boolean;
    /** How /metrics renders are cut (tests: small chunks, a yield after each). */
    renderSlice?: Partial<RenderSlice>;
    /** The wall clock (ms), for `_created`; the system's by default. */
    now?: () => number;
  }) {
    this.now = options.now ?? systemClock.now;
    this.registryCreated = formatValue(timestampSeconds(this.now()));
    this.processCreated = formatValue(timestampSeconds(Date.now() - process.uptime() * 1000));
    this.renderSlice = {
      targets: options.renderSlice?.targets ?? 500,
      ms: options.renderSlice?.ms ?? 5,
      monotonic: options.renderSlice?.monotonic ?? systemClock.monotonic,
    };
    new client.Gauge({
      name: "pantau_build_info",
      help: "Always 1; the pantau version and the Node.js it runs on",
      labelNames: ["version", "nodejs"],
      registers: [this.registry],
    }).set({ version: options.version, nodejs: process.versions.node }, 1);
    if (options.defaultMetrics !== false) {
      client.collectDefaultMetrics({ register: this.registry });
      // Gauges named *_total fail `promtool check metrics`; each is the sum of the labelled
      // nodejs_active_* gauge beside it (prometheus/client_js#283).
      for (const name of REDUNDANT_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    }
    for (const result of ["ok", "error"]) {
      this.ledgerWrites.inc({ result }, 0);
      this.alertmanagerPosts.inc({ result }, 0);
    }
    for (const cause of ["overrun", "queued"]) this.skipped.inc({ cause }, 0);
    this.monitorBlind.set(0);
  }

  /** The engine's events, read into the series (pass it to `engine.subscribe`). */
  readonly listener = (event: EngineEvent): void => {
    switch (event.kind) {
      case "probed":
        this.probeCompleted(event.target, event.result);
        return;
      case "committed":
        this.transitionsCommitted(event.transitions);
        this.attributionsCommitted(event.attributions);
        this.pageHoldsChanged(event.holds);
        return;
      case "holds":
        this.pageHoldsChanged(event.changes);
        return;
      case "maintenance":
        this.maintenanceChanged(event.target, event.inMaintenance);
        return;
      case "blind":
        this.blindChanged(event.blind);
        return;
      case "write":
        this.written(event);
        return;
      case "push":
        this.push.changed(event);
        return;
      default:
        // the ledger's queue and trouble, and clock steps: ledger-queue-metrics.ts
        this.ledgerQueue.listener(event);
        return;
    }
  };

  /** Makes the series match the configured targets: new ones appear, removed ones vanish. */
  syncTargets(
    targets: readonly Target[],
    stateOf: (id: string) => CommittedState | undefined,
  ): void {
    for (const _ of this.syncTargetSteps(targets, stateOf));
  }

  /** syncTargets one target at a time: yields after each, so a reload can slice it. */
  *syncTargetSteps(
    targets: readonly Target[],
    stateOf: (id: string) => CommittedState | undefined,
  ): Generator<void, void> {
    this.groupOf.clear();
    for (const target of targets) {
      this.groupOf.set(target.id, { service: target.service, site: target.site });
      yield;
    }
    yield* this.targets.syncSteps(
      targets,
      (id) => {
        const committed = stateOf(id);
        return { state: committed?.state ?? "unknown", since: committed?.since ?? null };
      },
      this.now(),
    );
    this.push.sync(targets);
  }

  probeCompleted(target: Target, result: ProbeResult): void {
    this.targets.probed(target.id, result);
    // a push or a missed deadline takes no time: it would only pull the percentiles down
    if (target.probe.kind === "push") return;
    const group = this.groupOf.get(target.id);
    if (group) this.probeLatency.observe(group, secondsOf(result.durationMs));
  }

  transitionsCommitted(transitions: readonly CommittedTransition[]): void {
    for (const t of transitions) {
      // the ledger's length: a wall-clock step during the outage is not counted in it
      const outageMs = endedOutageMs(t);
      if (outageMs !== null) {
        this.outageDuration.observe({ service: t.service, site: t.site }, secondsOf(outageMs));
      }
      this.targets.transitioned(t.targetId, t.from, t.to, t.at);
      const down = t.to === "down";
      this.targets.setOverlay(t.targetId, {
        blockedBy: down ? t.blockedBy : null,
        waitingOn: down ? t.waitingOn : [],
      });
    }
  }

  pageHoldsChanged(changes: readonly PageHoldChange[]): void {
    for (const c of changes) this.targets.setOverlay(c.targetId, { waitingOn: c.waitingOn });
  }

  attributionsCommitted(changes: readonly AttributionChange[]): void {
    for (const c of changes) this.targets.setOverlay(c.targetId, { blockedBy: c.blockedBy });
  }

  maintenanceChanged(target: Target, inMaintenance: boolean): void {
    this.targets.setOverlay(target.id, { maintenance: inMaintenance });
  }

  blindChanged(blind: boolean): void {
    this.monitorBlind.set(blind ? 1 : 0);
  }

  /** Every ledger write, of transitions or of a blind gap: a refused one counts as an error. */
  written(write: LedgerWrite): void {
    this.ledgerWrites.inc({ result: write.result === "ok" ? "ok" : "error" });
    this.ledgerWriteDuration.observe(secondsOf(write.durationMs));
  }

  readonly schedulerObserver: SchedulerObserver = {
    probeStarted: (_id, lagMs) => this.schedulerLag.observe(secondsOf(lagMs)),
    slotSkipped: (_id, cause) => this.skipped.inc({ cause }),
    inFlightChanged: (n) => {
      this.inFlightNow = n;
    },
  };

  configReloaded(ok: boolean, at: number): void {
    this.reloadOk.set(ok ? 1 : 0);
    if (ok) this.reloadTime.set(timestampSeconds(at));
  }

  /**
   * The /metrics text in `format`, in chunks, yielding to the event loop between them (see
   * TargetSeries.chunks); the registry's part is small and comes last.
   */
  async *renderChunks(format: ExpositionFormat = "prometheus"): AsyncGenerator<string> {
    yield* this.targets.chunks(this.renderSlice, format);
    const registry = await renderRegistry(this.registry, format, (name) =>
      PROCESS_COUNTERS.test(name) ? this.processCreated : this.registryCreated,
    );
    yield format === "openmetrics" ? registry + OPENMETRICS_EOF : registry;
  }

  /** The whole text as one string (tests, benchmarks). */
  async render(format: ExpositionFormat = "prometheus"): Promise<string> {
    const chunks: string[] = [];
    for await (const chunk of this.renderChunks(format)) chunks.push(chunk);
    return chunks.join("");
  }

  /** What GET /metrics answers in `format`: its content type and the text in chunks. */
  exposition(format: ExpositionFormat): { contentType: string; chunks: AsyncIterable<string> } {
    return { contentType: CONTENT_TYPE[format], chunks: this.renderChunks(format) };
  }
}
