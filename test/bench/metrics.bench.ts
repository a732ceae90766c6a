import { performance } from "node:perf_hooks";
import type { CommittedTransition } from "../../src/engine/engine.js";
import { PantauMetrics } from "../../src/expose/metrics.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { median, printTable } from "./table.js";

const RUNS = 15;

/** `/metrics` render time and size with N targets, each probed and some down. */
async function measure(targetCount: number): Promise<string[]> {
  const metrics = new PantauMetrics({ version: "bench" });
  const targets = Array.from({ length: targetCount }, (_, i) =>
    makeTarget(`target-${i}`, { service: `service-${i % 20}`, site: `site-${i % 50}` }),
  );
  metrics.syncTargets(targets, () => undefined);
  const now = Date.now();
  const transitions: CommittedTransition[] = [];
  for (const [i, target] of targets.entries()) {
    const failed = i % 10 === 0;
    metrics.probeCompleted(target, makeResult(failed ? "failed" : "ok", now));
    transitions.push({
      id: i,
      runId: 1,
      instance: "bench",
      targetId: target.id,
      service: target.service,
      site: target.site,
      from: "unknown",
      to: failed ? "down" : "up",
      at: now,
      detectedAt: now,
      reason: null,
      detail: null,
      blockedBy: null,
      maintenance: false,
      outageStart: null,
    });
  }
  metrics.transitionsCommitted(transitions);
  let text = await metrics.render();
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const began = performance.now();
    text = await metrics.render();
    times.push(performance.now() - began);
  }
  const series = text.split("\n").filter((l) => l && !l.startsWith("#")).length;
  return [
    targetCount.toLocaleString("en"),
    series.toLocaleString("en"),
    `${(Buffer.byteLength(text) / 1024 / 1024).toFixed(1)} MiB`,
    `${median(times).toFixed(0)} ms`,
  ];
}

export async function metricsBench(): Promise<void> {
  const rows: string[][] = [];
  for (const n of [1_000, 10_000]) rows.push(await measure(n));
  printTable(`/metrics render (median of ${RUNS})`, ["targets", "series", "size", "render"], rows);
}
