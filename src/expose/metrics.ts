import client, { type Counter, type Gauge, Registry } from "prom-client";
import type { Target } from "../config/types.js";
import type { CommittedState, EngineSubscriber } from "../engine/engine.js";
import { TARGET_STATES, type TargetState } from "../health/types.js";
import type { StoredTransition } from "../ledger/ledger.js";
import { describeEndpoint } from "../probe/index.js";
import { PHASES, type ProbeResult } from "../probe/types.js";
import type { SchedulerObserver } from "../schedule/scheduler.js";

const TARGET_LABELS = ["target", "service", "site"] as const;
type TargetLabels = Record<(typeof TARGET_LABELS)[number], string>;

/** The children of one target's series, created once: no label hashing on the hot path. */
interface TargetSeries {
  labels: TargetLabels;
  info: Record<string, string>;
  success: client.Gauge.Internal<string>;
  duration: client.Gauge.Internal<string>;
  statusCode: client.Gauge.Internal<string>;
  phases: client.Gauge.Internal<string>[];
  certExpiry: client.Gauge.Internal<string>;
  states: Map<TargetState, client.Gauge.Internal<string>>;
  changed: client.Gauge.Internal<string>;
  lastProbe: client.Gauge.Internal<string>;
  maintenance: client.Gauge.Internal<string>;
  probes: Map<ProbeResult["result"], client.Counter.Internal>;
  failureReasons: Set<string>;
  transitionPairs: Set<string>;
  blockedBy: string | null;
  latency: client.Histogram.Internal<string>;
}

const secondsOf = (ms: number) => ms / 1000;

const REDUNDANT_DEFAULT_METRICS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

/**
 * Every metric of SPEC §6. State metrics change only on committed transitions; probe_*
 * metrics follow probe results. One module owns all series (no registry per probe).
 */
export class PantauMetrics implements EngineSubscriber {
  readonly registry = new Registry();
  private readonly series = new Map<string, TargetSeries>();
  /** Start of each open outage, to observe its duration when it ends. */
  private readonly downSince = new Map<string, number>();

  private readonly probeSuccess = this.gauge("probe_success", "1 if the last probe did not fail");
  private readonly probeDuration = this.gauge(
    "probe_duration_seconds",
    "Total duration of the last probe",
  );
  private readonly probeStatus = this.gauge(
    "probe_http_status_code",
    "HTTP status of the last probe (0 if none)",
  );
  private readonly probePhase = this.gauge(
    "probe_http_duration_seconds",
    "Duration of each phase of the last probe",
    ["phase"],
  );
  private readonly probeCertExpiry = this.gauge(
    "probe_ssl_earliest_cert_expiry",
    "Unix time the peer certificate expires",
  );
  private readonly targetState = this.gauge(
    "pantau_target_state",
    "1 for the target's current committed state, 0 for the others",
    ["state"],
  );
  private readonly stateChanged = this.gauge(
    "pantau_target_state_changed_timestamp_seconds",
    "Time (at) of the target's last transition",
  );
  private readonly lastProbe = this.gauge(
    "pantau_target_last_probe_timestamp_seconds",
    "Start of the target's last probe",
  );
  private readonly maintenance = this.gauge(
    "pantau_target_maintenance",
    "1 while the target is inside a maintenance window",
  );
  private readonly blockedBy = this.gauge(
    "pantau_target_blocked_by",
    "1 while the target is down because this dependency is down",
    ["dependency"],
  );
  private readonly info = this.gauge(
    "pantau_target_info",
    "Always 1; the target's name, prober and endpoint (without credentials or query)",
    ["name", "prober", "endpoint"],
  );
  private readonly probes = this.counter("pantau_probes_total", "Probes by result", ["result"]);
  private readonly failures = this.counter(
    "pantau_probe_failures_total",
    "Failed probes by reason",
    ["reason"],
  );
  private readonly transitions = this.counter(
    "pantau_state_transitions_total",
    "Committed state transitions",
    ["from", "to"],
  );

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
  private readonly inFlight = new client.Gauge({
    name: "pantau_probes_in_flight",
    help: "Probes running now",
    registers: [this.registry],
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
    help: "Ledger commits (one transaction each) by result",
    labelNames: ["result"],
    registers: [this.registry],
  });
  private readonly ledgerWriteDuration = new client.Histogram({
    name: "pantau_ledger_write_duration_seconds",
    help: "Time to commit one batch of transitions",
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

  constructor(options: { version: string; defaultMetrics?: boolean }) {
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

  private gauge(name: string, help: string, extra: string[] = []): Gauge<string> {
    return new client.Gauge({
      name,
      help,
      labelNames: [...TARGET_LABELS, ...extra],
      registers: [this.registry],
    });
  }

  private counter(name: string, help: string, extra: string[]): Counter<string> {
    return new client.Counter({
      name,
      help,
      labelNames: [...TARGET_LABELS, ...extra],
      registers: [this.registry],
    });
  }

  /** Makes the series match the configured targets: new ones appear, removed ones vanish. */
  syncTargets(
    targets: readonly Target[],
    stateOf: (id: string) => CommittedState | undefined,
  ): void {
    const keep = new Set<string>();
    for (const target of targets) {
      keep.add(target.id);
      const committed = stateOf(target.id);
      if (committed?.state === "down" && committed.since !== null) {
        this.downSince.set(target.id, committed.since);
      }
      const existing = this.series.get(target.id);
      const info = targetInfo(target);
      if (existing && sameLabels(existing, target, info)) continue;
      if (existing) this.removeSeries(existing);
      this.series.set(target.id, this.createSeries(target, info, committed));
    }
    for (const [id, series] of this.series) {
      if (keep.has(id)) continue;
      this.removeSeries(series);
      this.series.delete(id);
    }
  }

  private createSeries(
    target: Target,
    info: Record<string, string>,
    committed: CommittedState | undefined,
  ): TargetSeries {
    const labels: TargetLabels = { target: target.id, service: target.service, site: target.site };
    this.info.set({ ...labels, ...info }, 1);
    const series: TargetSeries = {
      labels,
      info,
      success: this.probeSuccess.labels(labels),
      duration: this.probeDuration.labels(labels),
      statusCode: this.probeStatus.labels(labels),
      phases: PHASES.map((phase) => this.probePhase.labels({ ...labels, phase })),
      certExpiry: this.probeCertExpiry.labels(labels),
      states: new Map(
        TARGET_STATES.map((state) => [state, this.targetState.labels({ ...labels, state })]),
      ),
      changed: this.stateChanged.labels(labels),
      lastProbe: this.lastProbe.labels(labels),
      maintenance: this.maintenance.labels(labels),
      probes: new Map(
        (["ok", "degraded", "failed"] as const).map((result) => [
          result,
          this.probes.labels({ ...labels, result }),
        ]),
      ),
      failureReasons: new Set(),
      transitionPairs: new Set(),
      blockedBy: null,
      latency: this.probeLatency.labels({ service: target.service, site: target.site }),
    };
    for (const counter of series.probes.values()) counter.inc(0);
    series.maintenance.set(0);
    this.showState(series, committed?.state ?? "unknown", committed?.since ?? null);
    return series;
  }

  private removeSeries(series: TargetSeries): void {
    const labels = series.labels;
    this.info.remove({ ...labels, ...series.info });
    for (const metric of [
      this.probeSuccess,
      this.probeDuration,
      this.probeStatus,
      this.probeCertExpiry,
      this.stateChanged,
      this.lastProbe,
      this.maintenance,
    ]) {
      metric.remove(labels);
    }
    for (const phase of PHASES) this.probePhase.remove({ ...labels, phase });
    for (const state of TARGET_STATES) this.targetState.remove({ ...labels, state });
    for (const result of ["ok", "degraded", "failed"]) this.probes.remove({ ...labels, result });
    for (const reason of series.failureReasons) this.failures.remove({ ...labels, reason });
    for (const pair of series.transitionPairs) {
      const [from, to] = pair.split(">") as [string, string];
      this.transitions.remove({ ...labels, from, to });
    }
    if (series.blockedBy) this.blockedBy.remove({ ...labels, dependency: series.blockedBy });
  }

  private showState(series: TargetSeries, state: TargetState, since: number | null): void {
    for (const [s, child] of series.states) child.set(s === state ? 1 : 0);
    if (since !== null) series.changed.set(secondsOf(since));
  }

  probeCompleted(target: Target, result: ProbeResult): void {
    const series = this.series.get(target.id);
    if (!series) return;
    series.success.set(result.result === "failed" ? 0 : 1);
    series.duration.set(secondsOf(result.durationMs));
    series.statusCode.set(result.status ?? 0);
    for (let i = 0; i < PHASES.length; i++) {
      series.phases[i]?.set(secondsOf(result.phases[PHASES[i] as keyof ProbeResult["phases"]]));
    }
    if (result.certExpiresAt !== null) series.certExpiry.set(secondsOf(result.certExpiresAt));
    series.lastProbe.set(secondsOf(result.startedAt));
    series.probes.get(result.result)?.inc();
    if (result.result === "failed" && result.reason) {
      series.failureReasons.add(result.reason);
      this.failures.inc({ ...series.labels, reason: result.reason });
    }
    series.latency.observe(secondsOf(result.durationMs));
  }

  transitionsCommitted(transitions: readonly StoredTransition[]): void {
    for (const t of transitions) {
      if (t.from === "down") {
        const start = this.downSince.get(t.targetId) ?? t.at;
        this.downSince.delete(t.targetId);
        this.outageDuration.observe({ service: t.service, site: t.site }, secondsOf(t.at - start));
      }
      if (t.to === "down") this.downSince.set(t.targetId, t.at);
      const series = this.series.get(t.targetId);
      if (!series) continue;
      this.showState(series, t.to, t.at);
      series.transitionPairs.add(`${t.from}>${t.to}`);
      this.transitions.inc({ ...series.labels, from: t.from, to: t.to });
    }
  }

  commitFinished(result: "ok" | "error", durationMs: number): void {
    this.ledgerWrites.inc({ result });
    this.ledgerWriteDuration.observe(secondsOf(durationMs));
  }

  readonly schedulerObserver: SchedulerObserver = {
    probeStarted: (_id, lagMs) => this.schedulerLag.observe(secondsOf(lagMs)),
    slotSkipped: (_id, cause) => this.skipped.inc({ cause }),
    inFlightChanged: (n) => this.inFlight.set(n),
  };

  configReloaded(ok: boolean, at: number): void {
    this.reloadOk.set(ok ? 1 : 0);
    if (ok) this.reloadTime.set(secondsOf(at));
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function targetInfo(target: Target): Record<string, string> {
  return { name: target.name, prober: target.probe.kind, endpoint: describeEndpoint(target.probe) };
}

function sameLabels(series: TargetSeries, target: Target, info: Record<string, string>): boolean {
  const l = series.labels;
  return (
    l.service === target.service &&
    l.site === target.site &&
    series.info.name === info.name &&
    series.info.prober === info.prober &&
    series.info.endpoint === info.endpoint
  );
}
