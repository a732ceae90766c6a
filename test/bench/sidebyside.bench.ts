import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { envNumber, sleep } from "./env.js";
import {
  BLACKBOX,
  blackboxScrape,
  pantauScrape,
  startBlackbox,
  startPrometheus,
  waitHttp,
} from "./external.js";
import { type Farm, startFarm, stop } from "./farm.js";
import { fmtInt } from "./measure.js";
import { freePort, startDaemon, workDir, writeConfig } from "./pantau.js";
import { ProcSampler, readProc } from "./proc.js";
import { median, printTable } from "./table.js";

const INTERVAL_S = 5;

interface Side {
  name: string;
  cpuPerProbeUs: number[];
  probesPerS: number[];
  cpuShare: number[];
  rssMiB: number;
  parts: string;
}

/** CPU of the given processes and probes answered by the farm, over REPEATS windows. */
async function measure(
  name: string,
  farm: Farm,
  pids: Record<string, number>,
  windowS: number,
  repeats: number,
): Promise<Side> {
  const samplers = Object.values(pids).map((pid) => new ProcSampler(pid, 1000));
  const side: Side = {
    name,
    cpuPerProbeUs: [],
    probesPerS: [],
    cpuShare: [],
    rssMiB: 0,
    parts: "",
  };
  const cpu = () => Object.values(pids).reduce((s, pid) => s + readProc(pid).cpuSeconds, 0);
  const perPart: Record<string, number> = {};
  for (let i = 0; i < repeats; i++) {
    const began = performance.now();
    const parts0 = Object.fromEntries(
      Object.entries(pids).map(([k, p]) => [k, readProc(p).cpuSeconds]),
    );
    const cpu0 = cpu();
    const req0 = (await farm.stats()).requests;
    await sleep(windowS * 1000);
    const cpu1 = cpu();
    const req1 = (await farm.stats()).requests;
    const seconds = (performance.now() - began) / 1000;
    for (const [k, p] of Object.entries(pids)) {
      perPart[k] = (perPart[k] ?? 0) + readProc(p).cpuSeconds - (parts0[k] ?? 0);
    }
    side.cpuPerProbeUs.push(((cpu1 - cpu0) / Math.max(1, req1 - req0)) * 1e6);
    side.probesPerS.push((req1 - req0) / seconds);
    side.cpuShare.push((100 * (cpu1 - cpu0)) / seconds);
  }
  for (const s of samplers) s.stop();
  side.rssMiB = samplers.reduce((sum, s) => sum + s.peak("rssMiB"), 0);
  const all = Object.values(perPart).reduce((a, b) => a + b, 0);
  side.parts = Object.entries(perPart)
    .map(([k, v], i) => {
      const rss = samplers[i]?.peak("rssMiB") ?? 0;
      return `${k} ${((100 * v) / all).toFixed(0)} % CPU, ${rss.toFixed(0)} MiB`;
    })
    .join("; ");
  return side;
}

async function blackboxSide(farm: Farm, count: number, windowS: number, repeats: number) {
  const dir = workDir("blackbox");
  const bbPort = await freePort();
  const promPort = await freePort();
  const children: ChildProcess[] = [];
  try {
    const bb = startBlackbox(dir, bbPort);
    children.push(bb);
    await waitHttp(`http://127.0.0.1:${bbPort}/-/healthy`, bb);
    const urls = Array.from({ length: count }, (_, i) => farm.url(i));
    const prom = startPrometheus(dir, promPort, [blackboxScrape(urls, bbPort, `${INTERVAL_S}s`)]);
    children.push(prom);
    await waitHttp(`http://127.0.0.1:${promPort}/-/ready`, prom);
    await sleep((INTERVAL_S * 3 + 2) * 1000);
    const pids = { blackbox_exporter: bb.pid ?? 0, prometheus: prom.pid ?? 0 };
    return await measure(
      "blackbox_exporter + Prometheus (/probe per target every 5 s)",
      farm,
      pids,
      windowS,
      repeats,
    );
  } finally {
    for (const child of children.reverse()) await stop(child);
  }
}

async function pantauSide(farm: Farm, count: number, windowS: number, repeats: number) {
  const dir = workDir("pantau-side");
  const port = await freePort();
  const promPort = await freePort();
  const timing = { interval: `${INTERVAL_S}s`, timeout: "2s", failureThreshold: 3 };
  const daemon = await startDaemon(writeConfig(dir, farm.url, count, timing, port), port);
  let prom: ChildProcess | undefined;
  try {
    prom = startPrometheus(dir, promPort, [pantauScrape(port, "15s")]);
    await waitHttp(`http://127.0.0.1:${promPort}/-/ready`, prom);
    await sleep((INTERVAL_S * 3 + 2) * 1000);
    const pids = { pantau: daemon.pid, prometheus: prom.pid ?? 0 };
    return await measure(
      "pantau + Prometheus (scraping pantau every 15 s)",
      farm,
      pids,
      windowS,
      repeats,
    );
  } finally {
    if (prom !== undefined) await stop(prom);
    await daemon.stop();
  }
}

/** Issue 8 scenario 2: the same targets probed by blackbox_exporter and by pantau, in one run. */
export async function sideBySideBench(): Promise<void> {
  if (!existsSync(BLACKBOX)) {
    process.stderr.write(`sidebyside: ${BLACKBOX} missing; run scripts/bench-setup.sh\n`);
    return;
  }
  const count = envNumber("BENCH_SIDE_TARGETS", 5_000, 5_000);
  const windowS = envNumber("BENCH_WINDOW_S", 20, 8);
  const repeats = envNumber("BENCH_REPEATS", 3, 2);
  const farm = await startFarm(count);
  const sides: Side[] = [];
  try {
    sides.push(await blackboxSide(farm, count, windowS, repeats));
    sides.push(await pantauSide(farm, count, windowS, repeats));
  } finally {
    await farm.close();
  }
  const [bb, pt] = sides;
  const rows = sides.map((s) => [
    s.name,
    fmtInt(median(s.probesPerS)),
    `${(median(s.cpuPerProbeUs) / 1000).toFixed(3)} ms`,
    `${median(s.cpuShare).toFixed(0)} %`,
    s.parts,
    `${s.rssMiB.toFixed(0)} MiB`,
  ]);
  if (bb !== undefined && pt !== undefined) {
    rows.push([
      "**ratio pantau / blackbox**",
      "",
      `**${(median(pt.cpuPerProbeUs) / median(bb.cpuPerProbeUs)).toFixed(2)}**`,
      "",
      "",
      `**${(pt.rssMiB / bb.rssMiB).toFixed(2)}**`,
    ]);
  }
  printTable(
    `Side by side: ${fmtInt(count)} targets every ${INTERVAL_S} s, one after the other on one farm (${repeats} windows of ${windowS} s; medians; probes = requests the farm answered)`,
    [
      "setup",
      "probes/s",
      "CPU/probe (both processes)",
      "CPU (of 1 core)",
      "split (CPU share, peak RSS)",
      "peak RSS (sum)",
    ],
    rows,
  );
}
