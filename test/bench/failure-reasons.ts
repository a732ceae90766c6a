/**
 * Why a daemon's probes failed over a stretch of a run: the delta of
 * `pantau_probe_failures_total{reason}` between two scrapes, and one detail per reason taken from
 * the last probes `/api/v1/targets` shows at the end (a sample, not every failure's).
 */
import type { Sample } from "../support/prom-text.js";
import type { Daemon } from "./pantau.js";

export interface FailureReason {
  reason: string;
  count: number;
  /** A target whose last probe failed for this reason, and that probe's detail; "" when none. */
  sample: string;
}

type Counts = Map<string, number>;

/** Failed probes so far by reason. */
export function failureCounts(samples: readonly Sample[]): Counts {
  const counts: Counts = new Map();
  for (const s of samples) {
    if (s.name !== "pantau_probe_failures_total") continue;
    const reason = s.labels.reason ?? "?";
    counts.set(reason, (counts.get(reason) ?? 0) + s.value);
  }
  return counts;
}

interface TargetRow {
  id: string;
  last_probe: { result: string; reason: string | null; detail: string } | null;
}

/** The reasons failed from `before` to `after`, most frequent first, each with a sample detail. */
export async function failureReasons(
  daemon: Daemon,
  before: Counts,
  after: Counts,
): Promise<FailureReason[]> {
  const samples = await lastFailureDetails(daemon);
  const reasons: FailureReason[] = [];
  for (const [reason, count] of after) {
    const delta = count - (before.get(reason) ?? 0);
    if (delta > 0) reasons.push({ reason, count: delta, sample: samples.get(reason) ?? "" });
  }
  return reasons.sort((a, b) => b.count - a.count);
}

async function lastFailureDetails(daemon: Daemon): Promise<Map<string, string>> {
  const response = await fetch(`http://127.0.0.1:${daemon.port}/api/v1/targets`);
  const { targets } = (await response.json()) as { targets: TargetRow[] };
  const samples = new Map<string, string>();
  for (const { id, last_probe: probe } of targets) {
    if (probe === null || probe.result !== "failed" || probe.reason === null) continue;
    if (!samples.has(probe.reason)) samples.set(probe.reason, `${id}: ${probe.detail}`);
  }
  return samples;
}

/** `timeout 1,234 (t-00042: …); dns 5 (…)`: one cell of a table. */
export function formatReasons(reasons: readonly FailureReason[]): string {
  if (reasons.length === 0) return "none";
  return reasons
    .map(({ reason, count, sample }) => {
      const text = `${reason} ${Math.round(count).toLocaleString("en")}`;
      return sample === "" ? text : `${text} (${sample.replaceAll("|", "/")})`;
    })
    .join("; ");
}
