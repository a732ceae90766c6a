import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Target } from "../config/types.js";
import { NEXT_STATES, TARGET_STATES, type TargetState } from "../health/types.js";
import {
  describeEndpoint,
  type ProbeResult,
  proberKind,
  RESULT_FAMILIES,
  type ResultFamily,
} from "../probe/index.js";

/**
 * Per-target series, kept as plain records and rendered straight to the text format: at
 * 10,000 targets (~240,000 series) a generic registry spends most of a scrape on label maps.
 * Label strings are escaped once, when a target is added.
 *
 * A target's facts are immutable and replaced on every change, so a render takes a snapshot
 * of every target in O(targets) and can yield to the event loop between chunks while probes
 * and commits go on: each target's series still come from one moment.
 */
interface TargetFacts {
  /** `target="…",service="…",site="…"`, escaped. */
  readonly labels: string;
  /** `,name="…",prober="…",endpoint="…"`, escaped. */
  readonly infoLabels: string;
  /** Those its prober kind sets, besides every target's. */
  readonly resultFamilies: readonly ResultFamily[];
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

type Count = readonly [label: string, count: number];

/** How a render is cut: chunk size, and how long it may hold the event loop between yields. */
export interface RenderSlice {
  targets: number;
  ms: number;
  monotonic: () => number;
}

/** A change of any of its labels replaces the record. */
interface TargetRecord {
  facts: TargetFacts;
}

interface Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  lines(facts: TargetFacts): string;
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
  return (facts: TargetFacts): string => {
    const result = facts.lastResult;
    const v = result ? value(result) : null;
    return v === null ? "" : `${name}{${facts.labels}} ${formatValue(v)}\n`;
  };
}

/** A family some prober kinds set: lines for their targets only, once probed. */
function kindFamily(family: ResultFamily): Family {
  return {
    name: family.name,
    type: family.type,
    help: family.help,
    lines: (facts) => {
      const result = facts.lastResult;
      if (!result || !facts.resultFamilies.includes(family)) return "";
      let text = "";
      for (const series of family.series) {
        text += `${family.name}{${facts.labels}${series.labels}} ${formatValue(series.value(result))}\n`;
      }
      return text;
    },
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
  ...RESULT_FAMILIES.map(kindFamily),
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
    lines: (facts) => {
      let text = "";
      for (const state of TARGET_STATES) {
        text += `pantau_target_state{${facts.labels},state="${state}"} ${facts.state === state ? 1 : 0}\n`;
      }
      return text;
    },
  },
  {
    name: "pantau_target_state_changed_timestamp_seconds",
    type: "gauge",
    help: "Time (at) of the target's last transition",
    lines: (facts) =>
      facts.changedAt === null
        ? ""
        : `pantau_target_state_changed_timestamp_seconds{${facts.labels}} ${seconds(facts.changedAt)}\n`,
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
    lines: (facts) => `pantau_target_maintenance{${facts.labels}} ${facts.maintenance ? 1 : 0}\n`,
  },
  {
    name: "pantau_target_blocked_by",
    type: "gauge",
    help: "1 while the target is down because this dependency is down",
    lines: (facts) =>
      facts.blockedBy === null
        ? ""
        : `pantau_target_blocked_by{${facts.labels},dependency="${escapeLabel(facts.blockedBy)}"} 1\n`,
  },
  {
    name: "pantau_target_attribution_pending",
    type: "gauge",
    help: "1 while the down target's page waits for this upstream's verdict (it may be the cause)",
    lines: (facts) => {
      let lines = "";
      for (const upstream of facts.waitingOn) {
        lines += `pantau_target_attribution_pending{${facts.labels},dependency="${escapeLabel(upstream)}"} 1\n`;
      }
      return lines;
    },
  },
  {
    name: "pantau_target_info",
    type: "gauge",
    help: "Always 1; the target's name, prober and endpoint (without credentials or query)",
    lines: (facts) => `pantau_target_info{${facts.labels}${facts.infoLabels}} 1\n`,
  },
  {
    name: "pantau_probes_total",
    type: "counter",
    help: "Probes by result",
    lines: (facts) =>
      `pantau_probes_total{${facts.labels},result="ok"} ${facts.probes.ok}\n` +
      `pantau_probes_total{${facts.labels},result="degraded"} ${facts.probes.degraded}\n` +
      `pantau_probes_total{${facts.labels},result="failed"} ${facts.probes.failed}\n`,
  },
  {
    name: "pantau_probe_failures_total",
    type: "counter",
    help: "Failed probes by reason",
    lines: (facts) => {
      let text = "";
      for (const [reason, count] of facts.failures) {
        text += `pantau_probe_failures_total{${facts.labels},reason="${reason}"} ${count}\n`;
      }
      return text;
    },
  },
  {
    name: "pantau_state_transitions_total",
    type: "counter",
    help: "Committed state transitions",
    lines: (facts) => {
      let text = "";
      for (const [pair, count] of facts.transitions) {
        text += `pantau_state_transitions_total{${facts.labels},${pair}} ${count}\n`;
      }
      return text;
    },
  },
];

/** `counts` with `label` incremented by one (added at 1 when absent); a new array. */
function incremented(counts: readonly Count[], label: string): readonly Count[] {
  const index = counts.findIndex(([l]) => l === label);
  if (index < 0) return [...counts, [label, 1]];
  return counts.map((entry, i) => (i === index ? [label, entry[1] + 1] : entry));
}

/**
 * The pairs leaving `state`, at 0 unless already counted: the next transition then increments
 * a series Prometheus has already seen, so increase() counts it (a counter born at 1 is lost).
 * Only the current state's exits, not all pairs: 2–3 series a target instead of 10.
 */
function withOutgoingPairs(counts: readonly Count[], state: TargetState): readonly Count[] {
  let result = counts;
  for (const next of NEXT_STATES[state]) {
    const pair = pairLabel(state, next);
    if (!result.some(([l]) => l === pair)) result = [...result, [pair, 0]];
  }
  return result;
}

/** One flat string per (from, to), shared by all targets: not a rope of five pieces each. */
const PAIR_LABELS = new Map<string, string>();

function pairLabel(from: TargetState, to: TargetState): string {
  const key = `${from}>${to}`;
  let label = PAIR_LABELS.get(key);
  if (label === undefined) {
    label = ['from="', from, '",to="', to, '"'].join("");
    PAIR_LABELS.set(key, label);
  }
  return label;
}

const NO_PROBES = { ok: 0, degraded: 0, failed: 0 } as const;
const NO_UPSTREAMS: readonly string[] = [];

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
      // joined, not template literals: one flat string each, not a rope kept for the target's life
      const labels = [
        'target="',
        escapeLabel(target.id),
        '",service="',
        escapeLabel(target.service),
        '",site="',
        escapeLabel(target.site),
        '"',
      ].join("");
      const infoLabels = [
        ',name="',
        escapeLabel(target.name),
        '",prober="',
        target.probe.kind,
        '",endpoint="',
        escapeLabel(describeEndpoint(target.probe)),
        '"',
      ].join("");
      if (record?.facts.labels === labels && record.facts.infoLabels === infoLabels) continue;
      const { state, since } = initial(target.id);
      const facts: TargetFacts = {
        labels,
        infoLabels,
        resultFamilies: proberKind(target.probe.kind).families,
        lastResult: null,
        state,
        changedAt: since,
        maintenance: false,
        blockedBy: null,
        waitingOn: NO_UPSTREAMS,
        probes: NO_PROBES,
        failures: [],
        transitions: withOutgoingPairs([], state),
      };
      this.records.set(target.id, { facts });
    }
    for (const id of this.records.keys()) if (!keep.has(id)) this.records.delete(id);
  }

  probed(targetId: string, result: ProbeResult): void {
    const record = this.records.get(targetId);
    if (!record) return;
    const facts = record.facts;
    const { probes } = facts;
    const verdict = result.result;
    // spelled out, not spread: this runs once a probe, and spreads cost µs at 1,000 probes/s
    record.facts = {
      labels: facts.labels,
      infoLabels: facts.infoLabels,
      resultFamilies: facts.resultFamilies,
      lastResult: result,
      state: facts.state,
      changedAt: facts.changedAt,
      maintenance: facts.maintenance,
      blockedBy: facts.blockedBy,
      waitingOn: facts.waitingOn,
      probes: {
        ok: probes.ok + (verdict === "ok" ? 1 : 0),
        degraded: probes.degraded + (verdict === "degraded" ? 1 : 0),
        failed: probes.failed + (verdict === "failed" ? 1 : 0),
      },
      failures:
        verdict === "failed" && result.reason
          ? incremented(facts.failures, result.reason)
          : facts.failures,
      transitions: facts.transitions,
    };
  }

  transitioned(targetId: string, from: TargetState, to: TargetState, at: number): void {
    const record = this.records.get(targetId);
    if (!record) return;
    const counted = incremented(record.facts.transitions, pairLabel(from, to));
    record.facts = {
      ...record.facts,
      state: to,
      changedAt: at,
      transitions: withOutgoingPairs(counted, to),
    };
  }

  setOverlay(
    targetId: string,
    overlay: { maintenance?: boolean; blockedBy?: string | null; waitingOn?: readonly string[] },
  ): void {
    const record = this.records.get(targetId);
    if (!record) return;
    record.facts = {
      ...record.facts,
      maintenance: overlay.maintenance ?? record.facts.maintenance,
      blockedBy: overlay.blockedBy === undefined ? record.facts.blockedBy : overlay.blockedBy,
      waitingOn: overlay.waitingOn ?? record.facts.waitingOn,
    };
  }

  /**
   * The text format of a snapshot taken now, family by family, in chunks of at most
   * `slice.targets` targets' lines. Between chunks it yields to the event loop once it has
   * rendered for `slice.ms` (by `slice.monotonic`): rendering 10,000 targets in one go blocked
   * the loop (and so delayed probes) for hundreds of ms, while yielding after every chunk made
   * a scrape wait out hundreds of busy loop turns.
   */
  async *chunks(slice: RenderSlice): AsyncGenerator<string> {
    const snapshot = Array.from(this.records.values(), (record) => record.facts);
    let sliceStart = slice.monotonic();
    for (const family of FAMILIES) {
      let text = `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`;
      for (let start = 0; start < snapshot.length; start += slice.targets) {
        const end = Math.min(start + slice.targets, snapshot.length);
        for (let i = start; i < end; i++) text += family.lines(snapshot[i] as TargetFacts);
        yield text;
        text = "";
        if (slice.monotonic() - sliceStart >= slice.ms) {
          await yieldToLoop();
          sliceStart = slice.monotonic();
        }
      }
      if (text !== "") yield text;
    }
  }
}
