import { envNumber, sleep } from "./env.js";
import { startFarm } from "./farm.js";
import { fmtInt, fmtMs } from "./measure.js";
import { freePort, startDaemon, workDir, writeConfig } from "./pantau.js";
import { printTable, quantile } from "./table.js";

const INTERVAL_S = 10;
const THRESHOLD = 2;

/**
 * Issue 8 scenario 4: every target starts answering 503 at once. Commit latency is the log line's
 * time (written after the commit) − `detected_at`; metrics latency is the end of the first
 * back-to-back /metrics scrape that shows the target down − `detected_at` (an upper bound).
 */
export async function outageBench(): Promise<void> {
  const count = envNumber("BENCH_OUTAGE_TARGETS", 10_000, 2_000);
  // 0: back-to-back scrapes (tightest bound, but each render blocks the daemon's event loop)
  const pauseMs = Number(process.env.BENCH_OUTAGE_SCRAPE_PAUSE_MS ?? 0);
  const farm = await startFarm(count);
  const port = await freePort();
  const dir = workDir("outage");
  const timing = { interval: `${INTERVAL_S}s`, timeout: "2s", failureThreshold: THRESHOLD };
  const daemon = await startDaemon(writeConfig(dir, farm.url, count, timing, port), port);
  const shownDown = new Map<string, number>();
  const scrapes: number[] = [];
  let failedAt = 0;
  try {
    await sleep((INTERVAL_S + 2) * 1000);
    failedAt = await farm.set("fail", 0, count);
    const limit = performance.now() + (THRESHOLD * INTERVAL_S + 20) * 1000;
    const url = `http://127.0.0.1:${port}/metrics`;
    const down = /^pantau_target_state\{[^}]*target="([^"]+)"[^}]*state="down"\} 1$/gm;
    while (shownDown.size < count && performance.now() < limit) {
      const began = performance.now();
      const text = await (await fetch(url)).text();
      const end = Date.now();
      scrapes.push(performance.now() - began);
      if (pauseMs > 0) await sleep(pauseMs);
      for (const match of text.matchAll(down)) {
        const target = match[1] ?? "";
        if (!shownDown.has(target)) shownDown.set(target, end);
      }
    }
  } finally {
    await daemon.stop();
    await farm.close();
  }
  const downs = daemon.transitions.filter((t) => t.to === "down" && t.at >= failedAt);
  const commit = downs.map((t) => t.loggedAt - t.detectedAt);
  const metrics = downs.map((t) => (shownDown.get(t.target) ?? Number.NaN) - t.detectedAt);
  const spread = downs.length
    ? Math.max(...downs.map((t) => t.detectedAt)) - Math.min(...downs.map((t) => t.detectedAt))
    : 0;
  const row = (name: string, values: number[], how: string) => [
    name,
    fmtInt(values.filter(Number.isFinite).length),
    fmtMs(quantile(values, 0.5)),
    fmtMs(quantile(values, 0.99)),
    fmtMs(Math.max(...values)),
    how,
  ];
  printTable(
    `Mass outage: ${fmtInt(count)} targets at ${INTERVAL_S} s fail at once (threshold ${THRESHOLD}; ${fmtInt(downs.length)} DOWN transitions detected over ${(spread / 1000).toFixed(1)} s; ${scrapes.length} scrapes ${pauseMs} ms apart, median ${fmtMs(quantile(scrapes, 0.5))})`,
    ["after detection", "targets", "p50", "p99", "max", "measured as"],
    [
      row(
        "committed to the ledger",
        commit,
        "log line `time` (after commit) − `detected_at`, ms resolution",
      ),
      row(
        "shown by /metrics",
        metrics,
        "end of first scrape showing state=down − `detected_at` (upper bound)",
      ),
    ],
  );
}
