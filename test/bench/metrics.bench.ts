import { monitorEventLoopDelay, performance } from "node:perf_hooks";
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
      previousProbeAt: null,
      waitingOn: [],
      outageStart: null,
    });
  }
  metrics.transitionsCommitted(transitions);
  const times: number[] = [];
  let bytes = 0;
  let series = 0;
  // the render yields between chunks: what delays probes is its longest synchronous stretch
  const blocked = monitorEventLoopDelay({ resolution: 1 });
  for (let run = -1; run < RUNS; run++) {
    if (run === 0) blocked.enable(); // run -1 warms up
    const began = performance.now();
    bytes = 0;
    series = 0;
    for await (const chunk of metrics.renderChunks()) {
      // as the server's res.write(chunk) does: encode each chunk into bytes
      bytes += Buffer.from(chunk).length;
      if (run === RUNS - 1) series += countSamples(chunk);
    }
    if (run >= 0) times.push(performance.now() - began);
  }
  blocked.disable();
  return [
    targetCount.toLocaleString("en"),
    series.toLocaleString("en"),
    `${(bytes / 1024 / 1024).toFixed(1)} MiB`,
    `${median(times).toFixed(0)} ms`,
    `${(blocked.max / 1e6).toFixed(1)} ms`,
  ];
}

function countSamples(text: string): number {
  return text.split("\n").filter((l) => l && !l.startsWith("#")).length;
}

export async function metricsBench(): Promise<void> {
  const rows: string[][] = [];
  for (const n of [1_000, 10_000]) rows.push(await measure(n));
  printTable(
    `/metrics render (chunks encoded as the server writes them; median of ${RUNS}; longest event-loop block over all runs)`,
    ["targets", "series", "size", "render", "longest block"],
    rows,
  );
}
