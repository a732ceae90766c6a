import { sleep } from "./env.js";
import type { Farm } from "./farm.js";
import type { Daemon } from "./pantau.js";
import { ProcSampler, readProc } from "./proc.js";
import { bucketDelta, buckets, histogramQuantile, total } from "./prom.js";

/** What one steady-state window of a running daemon cost and achieved. */
export interface Window {
  seconds: number;
  cpuSeconds: number;
  farmCpuSeconds: number;
  probes: number;
  /** Probes whose result was `failed`. */
  failed: number;
  skipped: number;
  lagP50: number;
  lagP99: number;
  lagMax: string;
  rssPeakMiB: number;
  rssEndMiB: number;
  hwmMiB: number;
  socketsPeak: number;
  fdsPeak: number;
  sampler: ProcSampler;
}

/**
 * Reads /metrics and /proc at the start and end of `seconds` (two scrapes, nothing in between
 * but /proc reads every 500 ms), so the window's deltas are the daemon's own work.
 */
export async function measureWindow(
  daemon: Daemon,
  farm: Pick<Farm, "pid">,
  seconds: number,
): Promise<Window> {
  const before = await daemon.metrics();
  const cpu0 = readProc(daemon.pid);
  const farm0 = readProc(farm.pid);
  const sampler = new ProcSampler(daemon.pid);
  await sleep(seconds * 1000);
  const cpu1 = readProc(daemon.pid);
  const farm1 = readProc(farm.pid);
  sampler.stop();
  const after = await daemon.metrics();
  const lag = bucketDelta(
    buckets(after.samples, "pantau_scheduler_lag_seconds"),
    buckets(before.samples, "pantau_scheduler_lag_seconds"),
  );
  const bounds = [...lag.entries()].sort((a, b) => a[0] - b[0]);
  const last = bounds.find(([, c]) => c === (lag.get(Number.POSITIVE_INFINITY) ?? 0));
  return {
    seconds: (after.at - before.at) / 1000,
    cpuSeconds: cpu1.cpuSeconds - cpu0.cpuSeconds,
    farmCpuSeconds: farm1.cpuSeconds - farm0.cpuSeconds,
    probes:
      total(after.samples, "pantau_probes_total") - total(before.samples, "pantau_probes_total"),
    failed:
      total(after.samples, "pantau_probes_total", { result: "failed" }) -
      total(before.samples, "pantau_probes_total", { result: "failed" }),
    skipped:
      total(after.samples, "pantau_scheduler_skipped_total") -
      total(before.samples, "pantau_scheduler_skipped_total"),
    lagP50: histogramQuantile(lag, 0.5),
    lagP99: histogramQuantile(lag, 0.99),
    lagMax: last === undefined ? "?" : `≤ ${fmtSeconds(last[0])}`,
    rssPeakMiB: sampler.peak("rssMiB"),
    rssEndMiB: cpu1.rssMiB,
    hwmMiB: cpu1.hwmMiB,
    socketsPeak: sampler.peak("sockets"),
    fdsPeak: sampler.peak("fds"),
    sampler,
  };
}

export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  return s < 1 ? `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms` : `${s.toFixed(2)} s`;
}

export const fmtMs = (ms: number): string => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
export const fmtInt = (n: number): string => Math.round(n).toLocaleString("en");
