import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sleep } from "../bench/env.js";
import { startFarm, stop } from "../bench/farm.js";
import type { FlapSchedule } from "../bench/farm-flap.js";
import { buildPantau, CLI, freePort, waitHealthy } from "../bench/pantau.js";
import { readProc } from "../bench/proc.js";
import { bucketDelta, buckets, histogramQuantile, total } from "../bench/prom.js";
import { parsePromText, type Sample } from "../support/prom-text.js";
import { churnOf, farmSize, generation, writeGeneration } from "./estate.js";
import { type GrowthCheck, growthChecks, type SoakSample } from "./growth.js";

/** As the Dockerfile's `NODE_OPTIONS`. */
const PRODUCTION_NODE_ARGS = ["--max-old-space-size=1024"];

export interface SoakOptions {
  minutes: number;
  targets: number;
  seed: number;
  sampleEverySeconds?: number;
  reloadEverySeconds?: number;
  onSample?: (sample: SoakSample) => void;
  log?: (line: string) => void;
}

export interface SoakResult {
  samples: SoakSample[];
  checks: GrowthCheck[];
  reloads: { ok: number; rejected: number };
  transitions: number;
  /** error-level log lines of the daemon (first few kept). */
  errors: { count: number; first: string[] };
  exit: { code: number | null; signal: NodeJS.Signals | null };
  ok: boolean;
}

/** Flaps, hangs and resets: most slots answer, the rest fail one of three ways. */
export const soakFlap = (seed: number): FlapSchedule => ({
  seed,
  minMs: 15_000,
  maxMs: 45_000,
  upShare: 0.7,
  failures: ["fail", "hang", "reset"],
});

interface LogCounts {
  transitions: number;
  reloadsOk: number;
  reloadsRejected: number;
  errors: number;
  firstErrors: string[];
}

/** Reads the daemon's JSON log as it comes, keeping counts only (a soak must not grow itself). */
function countLog(child: ChildProcess): LogCounts {
  const counts: LogCounts = {
    transitions: 0,
    reloadsOk: 0,
    reloadsRejected: 0,
    errors: 0,
    firstErrors: [],
  };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    if (line.includes('"event":"transition"')) {
      counts.transitions++;
      return;
    }
    if (line.includes('"event":"reload"')) {
      if (line.includes('"ok":true')) counts.reloadsOk++;
      else counts.reloadsRejected++;
    }
    const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
    if (level >= 50) {
      counts.errors++;
      if (counts.firstErrors.length < 5) counts.firstErrors.push(line.slice(0, 600));
    }
  });
  return counts;
}

async function scrape(base: string): Promise<Sample[]> {
  return parsePromText(await (await fetch(`${base}/metrics`)).text());
}

/**
 * `targets` flapping farm targets watched by the built daemon, a config reload every minute,
 * and a sample of RSS, heap, fds and lag every 10 s; then the growth verdict.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const everyS = options.sampleEverySeconds ?? 10;
  const reloadS = options.reloadEverySeconds ?? 60;
  buildPantau();
  // not under the benchmarks' shared folder: `npm run bench` removes that when it ends
  const dir = mkdtempSync(join(tmpdir(), "pantau-soak-"));
  const size = { count: options.targets, churn: churnOf(options.targets) };
  const farm = await startFarm(farmSize(size));
  const estate = { ...size, farmUrl: farm.url };
  let child: ChildProcess | null = null;
  try {
    await farm.setFlap(soakFlap(options.seed));
    await farm.set("flap", 0, farmSize(estate));
    const port = await freePort();
    const listen = `127.0.0.1:${port}`;
    const storage = { path: join(dir, "ledger.db") };
    const configFile = join(dir, "pantau.yaml");
    writeGeneration(configFile, generation(estate, 0, storage, listen));
    // the heap limit the Dockerfile ships: the soak judges the daemon as it runs in production
    child = spawn(process.execPath, [...PRODUCTION_NODE_ARGS, CLI, "run", "--config", configFile], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const daemon = child;
    const counts = countLog(daemon);
    const base = `http://${listen}`;
    await waitHealthy(base, daemon);
    log(`soak: ${options.targets} targets, seed ${options.seed}, pid ${daemon.pid}, ${dir}`);
    const began = performance.now();
    const endAt = began + options.minutes * 60_000;
    let previous = await scrape(base);
    let previousAt = performance.now();
    let nextReload = began + reloadS * 1000;
    let reloadGeneration = 0;
    const samples: SoakSample[] = [];
    for (let tick = 1; began + tick * everyS * 1000 <= endAt; tick++) {
      const due = began + tick * everyS * 1000;
      while (performance.now() < due) {
        if (daemon.exitCode !== null || daemon.signalCode !== null) {
          throw new Error(
            `daemon exited during the soak (${daemon.exitCode ?? daemon.signalCode})`,
          );
        }
        if (performance.now() >= nextReload) {
          reloadGeneration++;
          writeGeneration(configFile, generation(estate, reloadGeneration, storage, listen));
          daemon.kill("SIGHUP");
          nextReload += reloadS * 1000;
        }
        await sleep(
          Math.max(1, Math.min(500, due - performance.now(), nextReload - performance.now())),
        );
      }
      const metrics = await scrape(base);
      const now = performance.now();
      const proc = readProc(daemon.pid ?? 0);
      const lag = bucketDelta(
        buckets(metrics, "pantau_scheduler_lag_seconds"),
        buckets(previous, "pantau_scheduler_lag_seconds"),
      );
      // per service and site, so removing targets on reload does not take their counts away
      const count = "pantau_probe_latency_seconds_count";
      const probes = total(metrics, count) - total(previous, count);
      const sample: SoakSample = {
        t: Math.round((now - began) / 1000),
        rssMiB: proc.rssMiB,
        heapMiB: total(metrics, "nodejs_heap_size_used_bytes") / 2 ** 20,
        heapTotalMiB: total(metrics, "nodejs_heap_size_total_bytes") / 2 ** 20,
        externalMiB: total(metrics, "nodejs_external_memory_bytes") / 2 ** 20,
        fds: proc.fds,
        lagP99Ms: histogramQuantile(lag, 0.99) * 1000,
        probesPerSecond: probes / ((now - previousAt) / 1000),
        transitions: counts.transitions,
        reloads: counts.reloadsOk,
      };
      samples.push(sample);
      options.onSample?.(sample);
      previous = metrics;
      previousAt = now;
    }
    // the last reload's log line may still be on its way
    for (let i = 0; i < 50 && counts.reloadsOk + counts.reloadsRejected < reloadGeneration; i++) {
      await sleep(100);
    }
    await stop(daemon);
    const exit = { code: daemon.exitCode, signal: daemon.signalCode };
    const checks = growthChecks(samples);
    const ok =
      checks.every((c) => c.ok) &&
      counts.errors === 0 &&
      counts.reloadsRejected === 0 &&
      counts.reloadsOk === reloadGeneration &&
      exit.code === 0;
    return {
      samples,
      checks,
      reloads: { ok: counts.reloadsOk, rejected: counts.reloadsRejected },
      transitions: counts.transitions,
      errors: { count: counts.errors, first: counts.firstErrors },
      exit,
      ok,
    };
  } finally {
    if (child) await stop(child);
    await farm.close();
    if (process.env.SOAK_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
  }
}
