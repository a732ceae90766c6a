import { envNumber, sleep } from "./env.js";
import { startFarm } from "./farm.js";
import { fmtInt, fmtMs } from "./measure.js";
import { freePort, startDaemon, workDir, writeConfig } from "./pantau.js";
import { printTable, quantile } from "./table.js";

/**
 * Issue 8 scenario 5: targets start hanging (accept, never answer) at a known instant; per target
 * `detected_at` − that instant, against (failure_threshold − 1) × interval + timeout. The first
 * failing probe starts up to one interval after the failure (its phase), which pantau records as
 * `at`; so the delay is also shown net of that phase (`detected_at` − `at`).
 */
export async function detectionBench(): Promise<void> {
  const count = envNumber("BENCH_DETECT_TARGETS", 2_000, 500);
  const intervalS = envNumber("BENCH_DETECT_INTERVAL_S", 5, 5);
  const timeoutS = 1;
  const threshold = 3;
  const farm = await startFarm(count);
  const port = await freePort();
  const dir = workDir("detect");
  const timing = {
    interval: `${intervalS}s`,
    timeout: `${timeoutS}s`,
    failureThreshold: threshold,
  };
  const daemon = await startDaemon(writeConfig(dir, farm.url, count, timing, port), port);
  let failedAt = 0;
  try {
    await sleep((intervalS + 2) * 1000);
    failedAt = await farm.set("hang", 0, count);
    const limit = performance.now() + ((threshold + 1) * intervalS + timeoutS + 10) * 1000;
    const downs = () => daemon.transitions.filter((t) => t.to === "down").length;
    while (downs() < count && performance.now() < limit) await sleep(200);
  } finally {
    await daemon.stop();
    await farm.close();
  }
  const downs = daemon.transitions.filter((t) => t.to === "down");
  const theory = ((threshold - 1) * intervalS + timeoutS) * 1000;
  const sinceFailure = downs.map((t) => t.detectedAt - failedAt);
  const sinceAt = downs.map((t) => t.detectedAt - t.at);
  const phase = downs.map((t) => t.at - failedAt);
  const row = (name: string, values: number[], bound: string) => [
    name,
    fmtMs(quantile(values, 0.5)),
    fmtMs(quantile(values, 0.99)),
    fmtMs(Math.max(...values)),
    fmtMs(Math.min(...values)),
    bound,
  ];
  printTable(
    `Detection delay: ${fmtInt(downs.length)} / ${fmtInt(count)} targets hang at once; interval ${intervalS} s, timeout ${timeoutS} s, failure_threshold ${threshold}; theoretical (threshold − 1) × interval + timeout = ${fmtMs(theory)}`,
    ["per target", "p50", "p99", "max", "min", "expected"],
    [
      row(
        "`detected_at` − failure",
        sinceFailure,
        `${fmtMs(theory)} … ${fmtMs(theory + intervalS * 1000)} (+ phase)`,
      ),
      row("phase: `at` − failure", phase, `0 … ${fmtMs(intervalS * 1000)}`),
      row(
        "`detected_at` − `at`",
        sinceAt,
        `${fmtMs(theory)} (target p99 ≤ ${fmtMs(theory + 100)})`,
      ),
      row(
        "excess over theory (`detected_at` − `at` − theory)",
        sinceAt.map((v) => v - theory),
        "≤ 100 ms",
      ),
    ],
  );
}
