import { execFile } from "node:child_process";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { promisify } from "node:util";
import type { CommittedTransition } from "../../src/engine/engine.js";
import type { ExpositionFormat } from "../../src/expose/exposition.js";
import { PantauMetrics } from "../../src/expose/metrics.js";
import { startHttpServer } from "../../src/expose/server.js";
import { memoryLogger } from "../support/memory-log.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { median, printTable } from "./table.js";

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_METRICS_RUNS ?? 9);
const TARGETS = (
  process.env.BENCH_METRICS_TARGETS ?? (process.env.BENCH_QUICK ? "1000" : "1000,10000")
)
  .split(",")
  .map(Number);

const ACCEPT: Record<ExpositionFormat, string> = {
  prometheus: "text/plain;version=0.0.4",
  // what Prometheus 2.x sends
  openmetrics:
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
};

/** Every target probed once (durations with float noise, as measured), one in ten down. */
function estate(targetCount: number): PantauMetrics {
  const metrics = new PantauMetrics({ version: "bench" });
  const targets = Array.from({ length: targetCount }, (_, i) =>
    makeTarget(`target-${i}`, { service: `service-${i % 20}`, site: `site-${i % 50}` }),
  );
  metrics.syncTargets(targets, () => undefined);
  const now = Date.now();
  const transitions: CommittedTransition[] = [];
  for (const [i, target] of targets.entries()) {
    const failed = i % 10 === 0;
    const durationMs = 12.345678 + i / 7;
    metrics.probeCompleted(target, makeResult(failed ? "failed" : "ok", now, { durationMs }));
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
  return metrics;
}

interface Scrape {
  bytes: number;
  cpuMs: number;
  wallMs: number;
}

/**
 * One GET /metrics by curl (a separate process, so only the server's work is in this process'
 * CPU): bytes as sent (compressed when gzip), and this process' CPU (every thread: zlib works on
 * libuv's pool) and wall time from request to the last byte.
 */
async function scrape(url: string, format: ExpositionFormat, gzip: boolean): Promise<Scrape> {
  const args = [
    "-s",
    "-o",
    "/dev/null",
    "-w",
    "%{size_download}",
    "-H",
    `Accept: ${ACCEPT[format]}`,
  ];
  if (gzip) args.push("-H", "Accept-Encoding: gzip");
  const cpu = process.cpuUsage();
  const began = performance.now();
  const { stdout } = await run("curl", [...args, url]);
  const wallMs = performance.now() - began;
  const used = process.cpuUsage(cpu);
  return { bytes: Number(stdout), cpuMs: (used.user + used.system) / 1000, wallMs };
}

async function measure(targetCount: number): Promise<string[][]> {
  const metrics = estate(targetCount);
  const server = await startHttpServer(
    { host: "127.0.0.1", port: 0 },
    {
      renderMetrics: (format) => metrics.exposition(format),
      version: "bench",
      readiness: () => ({ ready: true }),
      reload: async () => ({ status: 200, body: {} }),
      api: {},
      bearerToken: () => null,
      logger: memoryLogger().logger,
    },
  );
  const url = `http://127.0.0.1:${server.address.port}/metrics`;
  const rows: string[][] = [];
  try {
    for (const format of ["prometheus", "openmetrics"] as const) {
      const series = countSamples(await metrics.render(format));
      for (const gzip of [false, true]) {
        const scrapes: Scrape[] = [];
        // the render yields between chunks: what delays probes is its longest synchronous stretch
        const blocked = monitorEventLoopDelay({ resolution: 1 });
        for (let i = -1; i < RUNS; i++) {
          if (i === 0) blocked.enable(); // run -1 warms up
          const result = await scrape(url, format, gzip);
          if (i >= 0) scrapes.push(result);
        }
        blocked.disable();
        rows.push([
          targetCount.toLocaleString("en"),
          format === "prometheus" ? "0.0.4 text" : "OpenMetrics",
          gzip ? "gzip" : "none",
          series.toLocaleString("en"),
          `${(median(scrapes.map((s) => s.bytes)) / 1024 / 1024).toFixed(2)} MiB`,
          `${median(scrapes.map((s) => s.cpuMs)).toFixed(0)} ms`,
          `${median(scrapes.map((s) => s.wallMs)).toFixed(0)} ms`,
          `${(blocked.max / 1e6).toFixed(1)} ms`,
        ]);
      }
    }
  } finally {
    await server.close();
  }
  return rows;
}

function countSamples(text: string): number {
  let count = 0;
  for (const line of text.split("\n")) if (line !== "" && !line.startsWith("#")) count++;
  return count;
}

export async function metricsBench(): Promise<void> {
  const rows: string[][] = [];
  for (const n of TARGETS) rows.push(...(await measure(n)));
  printTable(
    `GET /metrics by curl (median of ${RUNS}; pantau's CPU per scrape, every thread; longest event-loop block over all runs)`,
    [
      "targets",
      "format",
      "encoding",
      "samples",
      "sent",
      "CPU/scrape",
      "wall/scrape",
      "longest block",
    ],
    rows,
  );
}
