import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Target } from "../config/types.js";
import { NEXT_STATES, type TargetState } from "../health/types.js";
import { describeEndpoint, type ProbeResult, proberKind } from "../probe/index.js";
import { type ExpositionFormat, escapeLabel, formatValue, timestampSeconds } from "./exposition.js";
import { type Count, TARGET_FAMILIES, type TargetFacts } from "./target-families.js";

/**
 * Per-target series, kept as plain records and rendered straight to the text formats: at
 * 10,000 targets (~240,000 series) a generic registry spends most of a scrape on label maps.
 * Label strings are escaped once, when a target is added.
 *
 * A target's facts are immutable and replaced on every change, so a render takes a snapshot
 * of every target in O(targets) and can yield to the event loop between chunks while probes
 * and commits go on: each target's series still come from one moment.
 */
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

  /**
   * Matches the configured targets: new ones appear, changed labels replace, removed vanish.
   * `now` (wall ms) is when the counters of new and replaced ones start from 0.
   */
  sync(
    targets: readonly Target[],
    initial: (id: string) => { state: TargetState; since: number | null },
    now: number,
  ): void {
    for (const _ of this.syncSteps(targets, initial, now));
  }

  /** sync one target at a time: yields after each, so a reload can slice it. */
  *syncSteps(
    targets: readonly Target[],
    initial: (id: string) => { state: TargetState; since: number | null },
    now: number,
  ): Generator<void, void> {
    const created = formatValue(timestampSeconds(now));
    const keep = new Set<string>();
    for (const target of targets) {
      yield;
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
        created,
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
    for (const id of this.records.keys()) {
      if (!keep.has(id)) this.records.delete(id);
      yield;
    }
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
      created: facts.created,
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
   * `format`'s text of a snapshot taken now, family by family, in chunks of at most
   * `slice.targets` targets' lines. Between chunks it yields to the event loop once it has
   * rendered for `slice.ms` (by `slice.monotonic`): rendering 10,000 targets in one go blocked
   * the loop (and so delayed probes) for hundreds of ms, while yielding after every chunk made
   * a scrape wait out hundreds of busy loop turns.
   */
  async *chunks(slice: RenderSlice, format: ExpositionFormat): AsyncGenerator<string> {
    const snapshot = Array.from(this.records.values(), (record) => record.facts);
    let sliceStart = slice.monotonic();
    for (const family of TARGET_FAMILIES) {
      let text = family.header[format];
      for (let start = 0; start < snapshot.length; start += slice.targets) {
        const end = Math.min(start + slice.targets, snapshot.length);
        for (let i = start; i < end; i++) text += family.lines(snapshot[i] as TargetFacts, format);
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
