import type { Registry } from "prom-client";
import {
  bucketBound,
  type ExpositionFormat,
  escapeLabel,
  type FamilyType,
  familyHeader,
  familyName,
  formatValue,
} from "./exposition.js";

/**
 * The prom-client registry (aggregates, the daemon's own and the process metrics) written in
 * either format from its metrics' values. Not `registry.metrics()`: switching a registry to
 * OpenMetrics renames its counters for good (prom-client strips `_total` from the metric object
 * itself, so every later 0.0.4 scrape lost the suffix), it has no `# UNIT` or `_created`, and it
 * prints float noise in histogram sums.
 */

/** One sample as prom-client collects it (histograms: `le` in the labels, the name given). */
interface CollectedValue {
  value: number;
  labels: Readonly<Record<string, string | number | undefined>>;
  metricName?: string;
}

interface CollectedMetric {
  name: string;
  help: string;
  /** "counter" | "gauge" | "histogram" | "summary" (prom-client's types say an enum; it is the name). */
  type: unknown;
  values: readonly CollectedValue[];
}

/** `{a="x",le="0.5"}`: the labels in their order, `le` last and written for `format`. */
function labelText(labels: CollectedValue["labels"], format: ExpositionFormat, withLe: boolean) {
  const parts: string[] = [];
  let le: string | number | undefined;
  for (const [name, value] of Object.entries(labels)) {
    if (value === undefined) continue;
    if (name === "le") le = value;
    else parts.push(`${name}="${escapeLabel(String(value))}"`);
  }
  if (withLe && le !== undefined) parts.push(`le="${bucketBound(le, format)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function metricText(metric: CollectedMetric, format: ExpositionFormat, created: string): string {
  const type = String(metric.type) as FamilyType;
  const openMetrics = format === "openmetrics";
  const base = metric.name;
  let text = familyHeader(base, type, metric.help, format);
  // the MetricPoint's last sample, after which its `_created` goes (OpenMetrics only)
  const lastOfPoint = type === "counter" ? null : `${base}_count`;
  const createdName = `${familyName(base, type, format)}_created`;
  for (const sample of metric.values) {
    let name = sample.metricName ?? base;
    if (openMetrics && type === "counter" && !name.endsWith("_total")) name += "_total";
    text += `${name}${labelText(sample.labels, format, true)} ${formatValue(sample.value)}\n`;
    const pointEnds = type === "counter" || name === lastOfPoint;
    if (openMetrics && type !== "gauge" && pointEnds) {
      text += `${createdName}${labelText(sample.labels, format, false)} ${created}\n`;
    }
  }
  return text;
}

/**
 * Every metric of `registry` in `format`; `createdOf(name)` gives the `_created` value (unix
 * seconds, as text) of a counter, histogram or summary.
 */
export async function renderRegistry(
  registry: Registry,
  format: ExpositionFormat,
  createdOf: (name: string) => string,
): Promise<string> {
  // getMetricsAsJSON collects every metric (its collect() callbacks run) and gives the values
  const metrics = (await registry.getMetricsAsJSON()) as unknown as CollectedMetric[];
  let text = "";
  for (const metric of metrics) text += metricText(metric, format, createdOf(metric.name));
  return text;
}
