import { type ChildProcess, fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { envNumber, sleep } from "./env.js";
import { stop } from "./farm.js";
import { fmtInt } from "./measure.js";
import { freePort, startDaemon, targetId, workDir } from "./pantau.js";
import { ProcSampler, readProc } from "./proc.js";
import type { PushMode } from "./push-pusher.js";
import { pushToken } from "./push-tokens.js";
import { median, printTable, quantile } from "./table.js";

/**
 * What push targets cost the daemon: `count` push targets each pushing every INTERVAL_S on a
 * fresh connection (test/bench/push-pusher.ts, a child process), every push on time — CPU per
 * push (the daemon's utime + stime over a window ÷ the pushes answered 200 in it), the daemon's
 * CPU, peak RSS and RSS per target over a daemon with one push target. The columns are those of
 * the probing kinds' table, so the push row reads beside theirs.
 */
const INTERVAL_S = 10;
const GRACE_S = 5;
const PUSHER = fileURLToPath(new URL("./push-pusher.ts", import.meta.url));

interface Pusher {
  child: ChildProcess;
  /** Wall ms of its first round: target i first pushes at start + its phase. */
  start: number;
  stats(): Promise<PushStats>;
}

interface PushStats {
  ok: number;
  refused: number;
  failed: number;
  latencies: number[];
  causes: Record<string, number>;
}

async function startPusher(port: number, count: number, mode: PushMode): Promise<Pusher> {
  const child = fork(PUSHER, [String(port), String(count), String(INTERVAL_S * 1000), mode], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const start = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`pusher exited with ${code}`)));
    child.on("message", (m: { ready?: boolean; start?: number }) => {
      if (m.ready === true && m.start !== undefined) resolve(m.start);
    });
  });
  return {
    child,
    start,
    stats: () =>
      new Promise((resolve) => {
        const onMessage = (m: PushStats & { ready?: boolean }) => {
          if (m.ready === true) return;
          child.off("message", onMessage);
          resolve(m);
        };
        child.on("message", onMessage);
        child.send({ stats: true });
      }),
  };
}

function writePushConfig(dir: string, count: number, port: number): string {
  const config = {
    global: { failure_threshold: 1, instance: "bench" },
    server: { listen: `127.0.0.1:${port}` },
    storage: { path: join(dir, "ledger.db") },
    targets: Array.from({ length: count }, (_, i) => ({
      id: targetId(i),
      service: `svc-${i % 20}`,
      site: `site-${i % 50}`,
      push: { token: pushToken(i), expect_every: `${INTERVAL_S}s`, grace: `${GRACE_S}s` },
    })),
  };
  const file = join(dir, "pantau.yaml");
  writeFileSync(file, stringify(config, { lineWidth: 0 }));
  return file;
}

interface PushWindow {
  seconds: number;
  cpuSeconds: number;
  pusherCpuSeconds: number;
  stats: PushStats;
  rssPeakMiB: number;
  rssEndMiB: number;
}

async function measure(daemonPid: number, pusher: Pusher, seconds: number): Promise<PushWindow> {
  await pusher.stats();
  const cpu0 = readProc(daemonPid);
  const pusher0 = readProc(pusher.child.pid ?? 0);
  const sampler = new ProcSampler(daemonPid);
  await sleep(seconds * 1000);
  const cpu1 = readProc(daemonPid);
  const pusher1 = readProc(pusher.child.pid ?? 0);
  sampler.stop();
  const stats = await pusher.stats();
  return {
    seconds: (cpu1.at - cpu0.at) / 1000,
    cpuSeconds: cpu1.cpuSeconds - cpu0.cpuSeconds,
    pusherCpuSeconds: pusher1.cpuSeconds - pusher0.cpuSeconds,
    stats,
    rssPeakMiB: sampler.peak("rssMiB"),
    rssEndMiB: cpu1.rssMiB,
  };
}

/** One daemon on `count` push targets: one interval of warm-up, then windows back to back. */
async function run(
  count: number,
  mode: PushMode,
  windowS: number,
  repeats: number,
): Promise<{ windows: PushWindow[]; transitionsDown: number }> {
  const port = await freePort();
  const dir = workDir(`push-${mode}-${count}`);
  const daemon = await startDaemon(writePushConfig(dir, count, port), port);
  const pusher = await startPusher(port, count, mode);
  try {
    // warm-up: every target has pushed, and the deadline of its first push has passed; downs
    // before (a first push later than the deadline the watch's start set) are the bench's own
    const from = pusher.start + (INTERVAL_S + GRACE_S + 1) * 1000;
    await sleep(Math.max(0, from - Date.now()));
    const windows: PushWindow[] = [];
    for (let i = 0; i < repeats; i++) windows.push(await measure(daemon.pid, pusher, windowS));
    const transitionsDown = daemon.transitions.filter(
      (t) => t.to === "down" && t.at >= from,
    ).length;
    return { windows, transitionsDown };
  } finally {
    await stop(pusher.child);
    await daemon.stop();
  }
}

/** CPU per push and RSS per target of push targets, pushes spread evenly and all at once. */
export async function pushBench(): Promise<void> {
  const count = envNumber("BENCH_PUSH_TARGETS", 1_000, 1_000);
  const windowS = envNumber("BENCH_WINDOW_S", 20, 8);
  const repeats = envNumber("BENCH_REPEATS", 3, 2);
  const base = await run(1, "spread", 2, 1);
  const baseRss = base.windows[0]?.rssEndMiB ?? 0;
  const rows: string[][] = [];
  const modes = (process.env.BENCH_PUSH_MODES ?? "spread,aligned").split(",") as PushMode[];
  for (const mode of modes) {
    const { windows, transitionsDown } = await run(count, mode, windowS, repeats);
    const ok = windows.reduce((s, w) => s + w.stats.ok, 0);
    const notOk = windows.reduce((s, w) => s + w.stats.refused + w.stats.failed, 0);
    const causes = new Map<string, number>();
    for (const w of windows) {
      for (const [cause, n] of Object.entries(w.stats.causes)) {
        causes.set(cause, (causes.get(cause) ?? 0) + n);
      }
    }
    const why = [...causes].map(([cause, n]) => `${cause} ${fmtInt(n)}`).join(", ");
    const seconds = windows.reduce((s, w) => s + w.seconds, 0);
    const latencies = windows.flatMap((w) => w.stats.latencies);
    const rss = Math.max(...windows.map((w) => w.rssPeakMiB));
    rows.push([
      `push (${mode === "spread" ? "spread evenly" : "all at once"})`,
      `${fmtInt(ok)} / ${fmtInt((count * seconds) / INTERVAL_S)}`,
      notOk === 0 ? "0" : `${fmtInt(notOk)}: ${why}`,
      fmtInt(transitionsDown),
      `${median(windows.map((w) => (w.cpuSeconds / Math.max(1, w.stats.ok)) * 1e6)).toFixed(0)} µs`,
      `${median(windows.map((w) => (100 * w.cpuSeconds) / w.seconds)).toFixed(1)} %`,
      `${median(windows.map((w) => (100 * w.pusherCpuSeconds) / w.seconds)).toFixed(1)} %`,
      `${quantile(latencies, 0.5).toFixed(1)} / ${quantile(latencies, 0.99).toFixed(1)} ms`,
      `${rss.toFixed(0)} MiB`,
      `${(((rss - baseRss) * 1024) / count).toFixed(1)} KiB`,
    ]);
  }
  printTable(
    `Push targets: ${fmtInt(count)} targets each pushing every ${INTERVAL_S} s on a fresh connection (${repeats} windows of ${windowS} s after a warm-up of one interval + grace from the first push; medians over windows)`,
    [
      "kind",
      "pushes answered 200 / planned",
      "not 200",
      "→down in the windows",
      "CPU/push",
      "daemon CPU (of 1 core)",
      "pusher CPU",
      "answer p50 / p99",
      "peak RSS",
      `RSS/target (over ${baseRss.toFixed(0)} MiB, 1 target)`,
    ],
    rows,
  );
}
