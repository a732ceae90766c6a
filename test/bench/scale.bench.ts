import { envList, envNumber, sleep } from "./env.js";
import { startFarm } from "./farm.js";
import { fmtInt, fmtSeconds, measureWindow, type Window } from "./measure.js";
import { freePort, startDaemon, workDir, writeConfig } from "./pantau.js";
import { readProc } from "./proc.js";
import { median, printTable } from "./table.js";

const INTERVAL_S = 10;

interface Run {
  windows: Window[];
  idleRssMiB: number;
}

/** One daemon on N targets at 10 s: warm-up, then REPEATS windows measured back to back. */
async function run(count: number, windowS: number, repeats: number): Promise<Run> {
  const farm = await startFarm(count);
  const port = await freePort();
  const dir = workDir(`scale-${count}`);
  const timing = { interval: `${INTERVAL_S}s`, timeout: "2s", failureThreshold: 3 };
  const daemon = await startDaemon(writeConfig(dir, farm.url, count, timing, port), port);
  try {
    const idleRssMiB = readProc(daemon.pid).rssMiB;
    await sleep((INTERVAL_S + 2) * 1000); // every target probed once: the steady state
    const windows: Window[] = [];
    for (let i = 0; i < repeats; i++) windows.push(await measureWindow(daemon, farm, windowS));
    return { windows, idleRssMiB };
  } finally {
    await daemon.stop();
    await farm.close();
  }
}

/** Issue 8 scenario 1: how CPU, memory and lag grow with the number of targets. */
export async function scaleBench(): Promise<void> {
  const sizes = envList("BENCH_SCALE_TARGETS", [1_000, 5_000, 10_000, 20_000], [1_000, 5_000]);
  const windowS = envNumber("BENCH_WINDOW_S", 20, 8);
  const repeats = envNumber("BENCH_REPEATS", 3, 2);
  const base = await run(1, 2, 1);
  const baseRss = base.windows[0]?.rssEndMiB ?? 0;
  const rows: string[][] = [];
  for (const count of sizes) {
    const { windows } = await run(count, windowS, repeats);
    const probes = windows.reduce((s, w) => s + w.probes, 0);
    const seconds = windows.reduce((s, w) => s + w.seconds, 0);
    const planned = (count * seconds) / INTERVAL_S;
    const skipped = windows.reduce((s, w) => s + w.skipped, 0);
    const cpuPerProbe = median(windows.map((w) => (w.cpuSeconds / Math.max(1, w.probes)) * 1e6));
    const cpuShare = median(windows.map((w) => (100 * w.cpuSeconds) / w.seconds));
    const farmShare = median(windows.map((w) => (100 * w.farmCpuSeconds) / w.seconds));
    const rss = Math.max(...windows.map((w) => w.rssPeakMiB));
    const hwm = Math.max(...windows.map((w) => w.hwmMiB));
    rows.push([
      fmtInt(count),
      `${fmtInt(probes)} / ${fmtInt(planned)}`,
      fmtInt(skipped),
      `${cpuPerProbe.toFixed(0)} µs`,
      `${cpuShare.toFixed(1)} %`,
      `${farmShare.toFixed(1)} %`,
      `${rss.toFixed(0)} MiB (HWM ${hwm.toFixed(0)})`,
      `${(((rss - baseRss) * 1024) / count).toFixed(1)} KiB`,
      fmtSeconds(median(windows.map((w) => w.lagP50))),
      fmtSeconds(median(windows.map((w) => w.lagP99))),
      fmtSeconds(Math.max(...windows.map((w) => w.lagP99))),
    ]);
  }
  printTable(
    `Scale curve: HTTP targets at ${INTERVAL_S} s (${repeats} windows of ${windowS} s after one interval of warm-up; medians over windows)`,
    [
      "targets",
      "probes done / planned",
      "skipped",
      "CPU/probe",
      "daemon CPU (of 1 core)",
      "farm CPU",
      "peak RSS",
      `RSS/target (over ${baseRss.toFixed(0)} MiB idle)`,
      "lag p50",
      "lag p99",
      "worst window p99",
    ],
    rows,
  );
}
