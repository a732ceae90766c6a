import { TARGET_STATES, type TargetState } from "../health/types.js";
import { type ProbeResult, RESULT_FAMILIES, type ResultFamily } from "../probe/index.js";
import {
  durationSeconds,
  type ExpositionFormat,
  escapeLabel,
  familyHeader,
  familyName,
  formatValue,
  timestampSeconds,
} from "./exposition.js";

/**
 * The per-target families and how each writes a target's lines, in either format: the same
 * samples in both, plus a `_created` sample after each counter sample in OpenMetrics.
 */

/** A target's facts at one moment; replaced, never changed, so a render can snapshot them. */
export interface TargetFacts {
  /** `target="…",service="…",site="…"`, escaped. */
  readonly labels: string;
  /** `,name="…",prober="…",endpoint="…"`, escaped. */
  readonly infoLabels: string;
  /** Those its prober kind sets, besides every target's. */
  readonly resultFamilies: readonly ResultFamily[];
  /** When its counters started from 0 (it joined the series), as OpenMetrics `_created` text. */
  readonly created: string;
  readonly lastResult: ProbeResult | null;
  readonly state: TargetState;
  readonly changedAt: number | null;
  readonly maintenance: boolean;
  readonly blockedBy: string | null;
  /** Upstreams whose verdict the target's page waits for (empty: none). */
  readonly waitingOn: readonly string[];
  readonly probes: Readonly<Record<ProbeResult["result"], number>>;
  /** [reason, count] in order of first failure. */
  readonly failures: readonly Count[];
  /** [`from="…",to="…"`, count] */
  readonly transitions: readonly Count[];
}

export type Count = readonly [label: string, count: number];

export interface TargetFamily {
  /** Its `# HELP`/`# TYPE` (and `# UNIT`) lines in each format. */
  readonly header: Readonly<Record<ExpositionFormat, string>>;
  lines(facts: TargetFacts, format: ExpositionFormat): string;
}

function family(
  name: string,
  type: "gauge" | "counter",
  help: string,
  lines: TargetFamily["lines"],
): TargetFamily {
  return {
    header: {
      prometheus: familyHeader(name, type, help, "prometheus"),
      openmetrics: familyHeader(name, type, help, "openmetrics"),
    },
    lines,
  };
}

/** One gauge line for a target, or nothing before the first probe. */
function probeGauge(name: string, value: (r: ProbeResult) => number | null): TargetFamily["lines"] {
  return (facts) => {
    const result = facts.lastResult;
    const v = result ? value(result) : null;
    return v === null ? "" : `${name}{${facts.labels}} ${formatValue(v)}\n`;
  };
}

/**
 * A counter's sample for one label set; in OpenMetrics followed by its `_created` sample (the
 * other half of its MetricPoint, so never listed apart). `created` is "" in the 0.0.4 format.
 */
function counterSample(
  name: string,
  created: string,
  facts: TargetFacts,
  extra: string,
  count: number,
): string {
  const sample = `${name}{${facts.labels}${extra}} ${count}\n`;
  return created === ""
    ? sample
    : `${sample}${created}{${facts.labels}${extra}} ${facts.created}\n`;
}

/** The `_created` sample's name of counter `name` in `format` ("" when it has none). */
function createdName(name: string, format: ExpositionFormat): string {
  return format === "openmetrics" ? `${familyName(name, "counter", format)}_created` : "";
}

/** A counter family: `each` calls `sample(extra, count)` for every label set of a target. */
function counterFamily(
  name: string,
  help: string,
  each: (facts: TargetFacts, sample: (extra: string, count: number) => string) => string,
): TargetFamily {
  const created = {
    prometheus: createdName(name, "prometheus"),
    openmetrics: createdName(name, "openmetrics"),
  };
  return family(name, "counter", help, (facts, format) =>
    each(facts, (extra, count) => counterSample(name, created[format], facts, extra, count)),
  );
}

/** Durations by the family's name: `*_seconds` that is not a `*_timestamp_seconds`. */
function isDuration(name: string): boolean {
  return name.endsWith("_seconds") && !name.endsWith("_timestamp_seconds");
}

/** A family some prober kinds set: lines for their targets only, once probed. */
function kindFamily(result: ResultFamily): TargetFamily {
  // kinds give seconds computed from noisy milliseconds: rounded as pantau's own durations are
  const value = isDuration(result.name)
    ? (v: number) => durationSeconds(v * 1000)
    : (v: number) => v;
  const created = {
    prometheus: createdName(result.name, "prometheus"),
    openmetrics: createdName(result.name, "openmetrics"),
  };
  return family(result.name, result.type, result.help, (facts, format) => {
    const last = facts.lastResult;
    if (!last || !facts.resultFamilies.includes(result)) return "";
    let text = "";
    if (result.type === "counter") {
      for (const series of result.series) {
        const count = value(series.value(last));
        text += counterSample(result.name, created[format], facts, series.labels, count);
      }
      return text;
    }
    for (const series of result.series) {
      text += `${result.name}{${facts.labels}${series.labels}} ${formatValue(value(series.value(last)))}\n`;
    }
    return text;
  });
}

const PROBE_RESULTS = ["ok", "degraded", "failed"] as const;
const RESULT_LABELS = {
  ok: ',result="ok"',
  degraded: ',result="degraded"',
  failed: ',result="failed"',
};

export const TARGET_FAMILIES: readonly TargetFamily[] = [
  family(
    "probe_success",
    "gauge",
    "1 if the last probe did not fail",
    probeGauge("probe_success", (r) => (r.result === "failed" ? 0 : 1)),
  ),
  family(
    "probe_duration_seconds",
    "gauge",
    "Total duration of the last probe",
    probeGauge("probe_duration_seconds", (r) => durationSeconds(r.durationMs)),
  ),
  ...RESULT_FAMILIES.map(kindFamily),
  family(
    "probe_ssl_earliest_cert_expiry",
    "gauge",
    "Unix time the peer certificate expires",
    probeGauge("probe_ssl_earliest_cert_expiry", (r) =>
      r.certExpiresAt === null ? null : timestampSeconds(r.certExpiresAt),
    ),
  ),
  family(
    "pantau_target_state",
    "gauge",
    "1 for the target's current committed state, 0 for the others",
    (facts) => {
      let text = "";
      for (const state of TARGET_STATES) {
        text += `pantau_target_state{${facts.labels},state="${state}"} ${facts.state === state ? 1 : 0}\n`;
      }
      return text;
    },
  ),
  family(
    "pantau_target_state_changed_timestamp_seconds",
    "gauge",
    "Time (at) of the target's last transition",
    (facts) =>
      facts.changedAt === null
        ? ""
        : `pantau_target_state_changed_timestamp_seconds{${facts.labels}} ${formatValue(timestampSeconds(facts.changedAt))}\n`,
  ),
  family(
    "pantau_target_last_probe_timestamp_seconds",
    "gauge",
    "Start of the target's last probe",
    probeGauge("pantau_target_last_probe_timestamp_seconds", (r) => timestampSeconds(r.startedAt)),
  ),
  family(
    "pantau_target_maintenance",
    "gauge",
    "1 while the target is inside a maintenance window",
    (facts) => `pantau_target_maintenance{${facts.labels}} ${facts.maintenance ? 1 : 0}\n`,
  ),
  family(
    "pantau_target_blocked_by",
    "gauge",
    "1 while the target is down because this dependency is down",
    (facts) =>
      facts.blockedBy === null
        ? ""
        : `pantau_target_blocked_by{${facts.labels},dependency="${escapeLabel(facts.blockedBy)}"} 1\n`,
  ),
  family(
    "pantau_target_attribution_pending",
    "gauge",
    "1 while the down target's page waits for this upstream's verdict (it may be the cause)",
    (facts) => {
      let lines = "";
      for (const upstream of facts.waitingOn) {
        lines += `pantau_target_attribution_pending{${facts.labels},dependency="${escapeLabel(upstream)}"} 1\n`;
      }
      return lines;
    },
  ),
  family(
    "pantau_target_info",
    "gauge",
    "Always 1; the target's name, prober and endpoint (without credentials or query)",
    (facts) => `pantau_target_info{${facts.labels}${facts.infoLabels}} 1\n`,
  ),
  counterFamily("pantau_probes_total", "Probes by result", (facts, sample) => {
    let text = "";
    for (const result of PROBE_RESULTS) text += sample(RESULT_LABELS[result], facts.probes[result]);
    return text;
  }),
  counterFamily("pantau_probe_failures_total", "Failed probes by reason", (facts, sample) => {
    let text = "";
    for (const [reason, count] of facts.failures) text += sample(`,reason="${reason}"`, count);
    return text;
  }),
  counterFamily(
    "pantau_state_transitions_total",
    "Committed state transitions",
    (facts, sample) => {
      let text = "";
      for (const [pair, count] of facts.transitions) text += sample(`,${pair}`, count);
      return text;
    },
  ),
];
