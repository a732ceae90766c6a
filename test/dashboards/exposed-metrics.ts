/**
 * What pantau exposes, for checking the names dashboards and rules query: the families of a
 * /metrics rendering (PantauMetrics declares every family, with or without samples), their
 * series names, and the names (and types) docs/metrics.md documents.
 */
import { readFileSync } from "node:fs";
import { PantauMetrics } from "../../src/expose/metrics.js";
import { haLeaderGauge } from "../../src/fleet/ha-member.js";
import { QuorumMetrics } from "../../src/quorum/metrics.js";

export interface ExposedMetrics {
  /** Family name → type, as `# TYPE` lines declare them. */
  families: Map<string, string>;
  /** Every series name a query can select: histograms' _bucket, _sum and _count included. */
  seriesNames: Set<string>;
  histograms: Set<string>;
}

/** Series every Prometheus adds to each scrape target. */
export const SCRAPE_SERIES = ["up"];

/** The families declared in Prometheus text exposition. */
export function exposedFromText(text: string): ExposedMetrics {
  const families = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    families.set(match[1] as string, match[2] as string);
  }
  const seriesNames = new Set<string>(SCRAPE_SERIES);
  const histograms = new Set<string>();
  for (const [name, type] of families) {
    seriesNames.add(name);
    if (type === "histogram" || type === "summary") {
      for (const suffix of ["_sum", "_count"]) seriesNames.add(name + suffix);
      if (type === "histogram") {
        seriesNames.add(`${name}_bucket`);
        histograms.add(name);
      }
    }
  }
  return { families, seriesNames, histograms };
}

/** pantau's metrics as its daemon renders them, prom-client's defaults included. */
export async function pantauExposed(): Promise<ExposedMetrics> {
  const metrics = new PantauMetrics({ version: "test" });
  // an HA member's gauge joins the same registry (src/fleet)
  haLeaderGauge(metrics.registry);
  // and a quorum vantage's (src/quorum)
  new QuorumMetrics(metrics.registry, "estate", { count: 2 }, () => undefined);
  return exposedFromText(await metrics.render());
}

/** The metrics reference the dashboards, rules and daemon are held to. */
export const METRICS_DOC = "docs/metrics.md";

/**
 * Metric names in docs/metrics.md's tables (`name` or `name{labels}` in the first column), with
 * the type the second column gives.
 */
export function documentedMetrics(doc = readFileSync(METRICS_DOC, "utf8")): Map<string, string> {
  const metrics = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `([a-z_:][a-z0-9_:]*)(?:\{[^`]*\})?` \| ([a-z]+) \|/gm)) {
    metrics.set(match[1] as string, match[2] as string);
  }
  return metrics;
}

/** The names of documentedMetrics. */
export function documentedMetricNames(doc?: string): Set<string> {
  return new Set(documentedMetrics(doc).keys());
}
