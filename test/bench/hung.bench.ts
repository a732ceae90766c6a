import { envNumber, sleep } from "./env.js";
import { startFarm } from "./farm.js";
import { fmtInt, fmtSeconds, measureWindow, type Window } from "./measure.js";
import { freePort, startDaemon, workDir, writeConfig } from "./pantau.js";
import { printTable } from "./table.js";

const INTERVAL_S = 10;

/**
 * Issue 8 scenario 3: half the targets accept and never answer. Three phases on one daemon:
 * all healthy, half hung, all healthy again; each one measured over a window.
 */
export async function hungBench(): Promise<void> {
  const count = envNumber("BENCH_HUNG_TARGETS", 10_000, 2_000);
  const windowS = envNumber("BENCH_HUNG_WINDOW_S", 30, 12);
  const timeout = "2s";
  const farm = await startFarm(count);
  const port = await freePort();
  const dir = workDir("hung");
  const timing = { interval: `${INTERVAL_S}s`, timeout, failureThreshold: 3 };
  const daemon = await startDaemon(writeConfig(dir, farm.url, count, timing, port), port);
  const phases: [string, Window][] = [];
  try {
    await sleep((INTERVAL_S + 2) * 1000);
    phases.push(["all answer", await measureWindow(daemon, farm, windowS)]);
    await farm.set("hang", 0, count / 2);
    await sleep(INTERVAL_S * 1000); // every hung target has met the hang at least once
    phases.push([
      `${fmtInt(count / 2)} hung (accept, never answer)`,
      await measureWindow(daemon, farm, windowS),
    ]);
    await farm.set("ok", 0, count); // closes the hung sockets from the farm side too
    await sleep(INTERVAL_S * 1000);
    phases.push(["all answer again", await measureWindow(daemon, farm, windowS)]);
  } finally {
    await daemon.stop();
    await farm.close();
  }
  const rows = phases.map(([name, w]) => [
    name,
    `${fmtInt(w.probes)} / ${fmtInt((count * w.seconds) / INTERVAL_S)}`,
    fmtInt(w.skipped),
    fmtSeconds(w.lagP50),
    fmtSeconds(w.lagP99),
    `${w.rssPeakMiB.toFixed(0)} MiB`,
    `${w.rssEndMiB.toFixed(0)} MiB`,
    fmtInt(w.socketsPeak),
    fmtInt(w.sampler.samples.at(-1)?.sockets ?? 0),
    `${((100 * w.cpuSeconds) / w.seconds).toFixed(0)} %`,
  ]);
  printTable(
    `Hung half: ${fmtInt(count)} targets at ${INTERVAL_S} s, timeout ${timeout}; phases of ${windowS} s on one daemon (lag over all probes; sockets = /proc/PID/fd sampled every 500 ms)`,
    [
      "phase",
      "probes done / planned",
      "skipped",
      "lag p50",
      "lag p99",
      "peak RSS",
      "RSS at end",
      "peak sockets",
      "sockets at end",
      "daemon CPU",
    ],
    rows,
  );
}
