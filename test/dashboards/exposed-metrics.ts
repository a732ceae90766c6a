/**
 * What pantau exposes, for checking the names dashboards and rules query: the families of a
 * /metrics rendering (PantauMetrics declares every family, with or without samples), their
 * series names, and the names README.md's "Metrics" section documents.
 */
import { readFileSync } from "node:fs";
import { PantauMetrics } from "../../src/expose/metrics.js";
import { haLeaderGauge } from "../../src/fleet/ha-member.js";

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
  return exposedFromText(await metrics.render());
}

/** Metric names in README.md's "Metrics" tables (`name` or `name{labels}` in the first column). */
export function readmeMetricNames(readme = readFileSync("README.md", "utf8")): Set<string> {
  const section = /^## Metrics\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";
  const names = new Set<string>();
  for (const match of section.matchAll(/^\| `([a-z_:][a-z0-9_:]*)(?:\{[^`]*\})?`/gm)) {
    names.add(match[1] as string);
  }
  return names;
}
