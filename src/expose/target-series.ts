import type { Target } from "../config/types.js";
import { NEXT_STATES, TARGET_STATES, type TargetState } from "../health/types.js";
import { describeEndpoint } from "../probe/index.js";
import { PHASES, type ProbeResult } from "../probe/types.js";

/**
 * Per-target series, kept as plain records and rendered straight to the text format: at
 * 10,000 targets (~200,000 series) a generic registry spends most of a scrape on label maps.
 * Label strings are escaped once, when a target is added.
 */
interface TargetRecord {
  /** `target="…",service="…",site="…"`, escaped. */
  labels: string;
  /** `,name="…",prober="…",endpoint="…"`, escaped. */
  infoLabels: string;
  /** Identity: a change of any of these labels replaces the record. */
  key: string;
  lastResult: ProbeResult | null;
  state: TargetState;
  changedAt: number | null;
  maintenance: boolean;
  blockedBy: string | null;
  probes: Record<ProbeResult["result"], number>;
  failures: Map<string, number>;
  transitions: Map<string, number>;
}

interface Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  lines(record: TargetRecord): string;
}

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

const seconds = (ms: number) => formatValue(ms / 1000);

/** One family's line for a target, or nothing before the first probe. */
function probeGauge(name: string, value: (r: ProbeResult) => number | null) {
  return (record: TargetRecord): string => {
    const result = record.lastResult;
    const v = result ? value(result) : null;
    return v === null ? "" : `${name}{${record.labels}} ${formatValue(v)}\n`;
  };
}

const FAMILIES: Family[] = [
  {
    name: "probe_success",
    type: "gauge",
    help: "1 if the last probe did not fail",
    lines: probeGauge("probe_success", (r) => (r.result === "failed" ? 0 : 1)),
  },
  {
    name: "probe_duration_seconds",
    type: "gauge",
    help: "Total duration of the last probe",
    lines: probeGauge("probe_duration_seconds", (r) => r.durationMs / 1000),
  },
  {
    name: "probe_http_status_code",
    type: "gauge",
    help: "HTTP status of the last probe (0 if none)",
    lines: probeGauge("probe_http_status_code", (r) => r.status ?? 0),
  },
  {
    name: "probe_http_duration_seconds",
    type: "gauge",
    help: "Duration of each phase of the last probe",
    lines: (record) => {
      const result = record.lastResult;
      if (!result) return "";
      let text = "";
      for (const phase of PHASES) {
        text += `probe_http_duration_seconds{${record.labels},phase="${phase}"} ${seconds(result.phases[phase])}\n`;
      }
      return text;
    },
  },
  {
    name: "probe_ssl_earliest_cert_expiry",
    type: "gauge",
    help: "Unix time the peer certificate expires",
    lines: probeGauge("probe_ssl_earliest_cert_expiry", (r) =>
      r.certExpiresAt === null ? null : r.certExpiresAt / 1000,
    ),
  },
  {
    name: "pantau_target_state",
    type: "gauge",
    help: "1 for the target's current committed state, 0 for the others",
    lines: (record) => {
      let text = "";
      for (const state of TARGET_STATES) {
        text += `pantau_target_state{${record.labels},state="${state}"} ${record.state === state ? 1 : 0}\n`;
      }
      return text;
    },
  },
  {
    name: "pantau_target_state_changed_timestamp_seconds",
    type: "gauge",
    help: "Time (at) of the target's last transition",
    lines: (record) =>
      record.changedAt === null
        ? ""
        : `pantau_target_state_changed_timestamp_seconds{${record.labels}} ${seconds(record.changedAt)}\n`,
  },
  {
    name: "pantau_target_last_probe_timestamp_seconds",
    type: "gauge",
    help: "Start of the target's last probe",
    lines: probeGauge("pantau_target_last_probe_timestamp_seconds", (r) => r.startedAt / 1000),
  },
  {
    name: "pantau_target_maintenance",
    type: "gauge",
    help: "1 while the target is inside a maintenance window",
    lines: (record) =>
      `pantau_target_maintenance{${record.labels}} ${record.maintenance ? 1 : 0}\n`,
  },
  {
    name: "pantau_target_blocked_by",
    type: "gauge",
    help: "1 while the target is down because this dependency is down",
    lines: (record) =>
      record.blockedBy === null
        ? ""
        : `pantau_target_blocked_by{${record.labels},dependency="${escapeLabel(record.blockedBy)}"} 1\n`,
  },
  {
    name: "pantau_target_info",
    type: "gauge",
    help: "Always 1; the target's name, prober and endpoint (without credentials or query)",
    lines: (record) => `pantau_target_info{${record.labels}${record.infoLabels}} 1\n`,
  },
  {
    name: "pantau_probes_total",
    type: "counter",
    help: "Probes by result",
    lines: (record) =>
      `pantau_probes_total{${record.labels},result="ok"} ${record.probes.ok}\n` +
      `pantau_probes_total{${record.labels},result="degraded"} ${record.probes.degraded}\n` +
      `pantau_probes_total{${record.labels},result="failed"} ${record.probes.failed}\n`,
  },
  {
    name: "pantau_probe_failures_total",
    type: "counter",
    help: "Failed probes by reason",
    lines: (record) => {
      let text = "";
      for (const [reason, count] of record.failures) {
        text += `pantau_probe_failures_total{${record.labels},reason="${reason}"} ${count}\n`;
      }
      return text;
    },
  },
  {
    name: "pantau_state_transitions_total",
    type: "counter",
    help: "Committed state transitions",
    lines: (record) => {
      let text = "";
      for (const [pair, count] of record.transitions) {
        text += `pantau_state_transitions_total{${record.labels},${pair}} ${count}\n`;
      }
      return text;
    },
  },
];

/**
 * The pairs leaving `state`, at 0 unless already counted: the next transition then increments
 * a series Prometheus has already seen, so increase() counts it (a counter born at 1 is lost).
 * Only the current state's exits, not all pairs: 2–3 series a target instead of 10.
 */
function outgoingPairs(counts: Map<string, number>, state: TargetState): Map<string, number> {
  for (const next of NEXT_STATES[state]) {
    const pair = `from="${state}",to="${next}"`;
    if (!counts.has(pair)) counts.set(pair, 0);
  }
  return counts;
}

export class TargetSeries {
  private readonly records = new Map<string, TargetRecord>();

  /** Matches the configured targets: new ones appear, changed labels replace, removed vanish. */
  sync(
    targets: readonly Target[],
    initial: (id: string) => { state: TargetState; since: number | null },
  ): void {
    const keep = new Set<string>();
    for (const target of targets) {
      keep.add(target.id);
      const record = this.records.get(target.id);
      const labels = `target="${escapeLabel(target.id)}",service="${escapeLabel(target.service)}",site="${escapeLabel(target.site)}"`;
      const infoLabels = `,name="${escapeLabel(target.name)}",prober="${target.probe.kind}",endpoint="${escapeLabel(describeEndpoint(target.probe))}"`;
      const key = labels + infoLabels;
      if (record?.key === key) continue;
      const { state, since } = initial(target.id);
      this.records.set(target.id, {
        labels,
        infoLabels,
        key,
        lastResult: null,
        state,
        changedAt: since,
        maintenance: false,
        blockedBy: null,
        probes: { ok: 0, degraded: 0, failed: 0 },
        failures: new Map(),
        transitions: outgoingPairs(new Map(), state),
      });
    }
    for (const id of this.records.keys()) if (!keep.has(id)) this.records.delete(id);
  }

  probed(targetId: string, result: ProbeResult): void {
    const record = this.records.get(targetId);
    if (!record) return;
    record.lastResult = result;
    record.probes[result.result]++;
    if (result.result === "failed" && result.reason) {
      record.failures.set(result.reason, (record.failures.get(result.reason) ?? 0) + 1);
    }
  }

  transitioned(targetId: string, from: TargetState, to: TargetState, at: number): void {
    const record = this.records.get(targetId);
    if (!record) return;
    record.state = to;
    record.changedAt = at;
    const pair = `from="${from}",to="${to}"`;
    record.transitions.set(pair, (record.transitions.get(pair) ?? 0) + 1);
    outgoingPairs(record.transitions, to);
  }

  setOverlay(
    targetId: string,
    overlay: { maintenance?: boolean; blockedBy?: string | null },
  ): void {
    const record = this.records.get(targetId);
    if (!record) return;
    if (overlay.maintenance !== undefined) record.maintenance = overlay.maintenance;
    if (overlay.blockedBy !== undefined) record.blockedBy = overlay.blockedBy;
  }

  render(): string {
    const chunks: string[] = [];
    for (const family of FAMILIES) {
      let text = `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`;
      for (const record of this.records.values()) text += family.lines(record);
      chunks.push(text);
    }
    return chunks.join("");
  }
}
