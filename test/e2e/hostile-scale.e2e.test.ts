/**
 * Issue 9 part 3, hostile endpoints at scale: the real daemon (a child process) probes 1,000
 * slow-header, 1,000 endless-body and 200 redirect-chain endpoints at once, beside 200 healthy
 * ones, for a few intervals. Read from /proc/PID, /metrics and the API: every hostile verdict is
 * the ones docs/probes.md gives, memory stays under a bound, sockets come back to the baseline once those targets
 * are removed, and the healthy targets stay up, unskipped and on time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ProcSampler, readProc } from "../bench/proc.js";
import { imageNodeOptions } from "../ops/dockerfile.js";
import { DaemonProcess } from "../support/daemon-process.js";
import { parsePromText, type Sample, sampleValue } from "../support/prom-text.js";
import { type HostileFarm, startHostileFarm } from "../support/servers/hostile-farm.js";
import { until } from "../support/until.js";

const HEALTHY = 200;
const SLOW = 1000;
const ENDLESS = 1000; // the first half keep their body for body_contains, the rest only count it
const CHAINS = 100;
const LOOPS = 100;
/**
 * Hostile targets every ROUND_S, spread over it as usual. A slow-header probe lasts its whole
 * timeout, so with SLOW_TIMEOUT close to ROUND_S most of the 1,000 hold a socket at once.
 * (Probing all 2,200 in the same second was tried: on this shared 2-core machine the burst
 * alone stalls the event loop for seconds, which measures the machine, not pantau.)
 */
const ROUND_S = 10;
const SLOW_TIMEOUT_S = 8;
/** Healthy targets keep a short interval. */
const INTERVAL_S = 2;
const TIMEOUT_S = 1.5;
// six connections in a row: room for a busy shared machine, still well inside the interval
const REDIRECT_TIMEOUT = "6s";
const MAX_BODY = 64 * 1024;
const MAX_REDIRECTS = 5;
const HOSTILE_ROUNDS = 2;

interface LastProbe {
  result: string;
  reason: string | null;
  detail: string;
  status: number | null;
  duration_seconds: number;
  bytes_read: number;
  redirects: number;
}
interface TargetRow {
  id: string;
  state: string;
  last_probe: LastProbe | null;
}

const dir = mkdtempSync(join(tmpdir(), "pantau-hostile-"));
const configFile = join(dir, "pantau.yaml");
let farm: HostileFarm;
// the healthy targets have a server process of their own: what the hostile farm suffers under
// its load is not the daemon's doing, and must not be counted against it
let healthyFarm: HostileFarm;
let daemon: DaemonProcess;
let base: string;

const ids = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, "0")}`);

function writeConfig(withHostile: boolean): void {
  const url = (path: string) => `${farm.base}${path}`;
  const targets: Record<string, unknown>[] = ids("ok", HEALTHY).map((id, i) => ({
    id,
    service: "healthy",
    http: { url: `${healthyFarm.base}/ok/${i}` },
  }));
  if (withHostile) {
    targets.push(
      ...ids("slow", SLOW).map((id, i) => ({
        id,
        service: "slow",
        interval: `${ROUND_S}s`,
        timeout: `${SLOW_TIMEOUT_S}s`,
        http: { url: url(`/slow/${i}`) },
      })),
      ...ids("endless", ENDLESS).map((id, i) => ({
        id,
        service: "endless",
        interval: `${ROUND_S}s`,
        http: { url: url(`/endless/${i}`), max_body: "64KiB" },
        ...(i < ENDLESS / 2 ? { expect: { body_contains: "needle" } } : {}),
      })),
      ...ids("chain", CHAINS).map((id, i) => ({
        id,
        service: "redirect",
        interval: `${ROUND_S}s`,
        timeout: REDIRECT_TIMEOUT,
        http: { url: url(`/chain/${i}/0`), max_redirects: MAX_REDIRECTS },
      })),
      ...ids("loop", LOOPS).map((id, i) => ({
        id,
        service: "redirect",
        interval: `${ROUND_S}s`,
        timeout: REDIRECT_TIMEOUT,
        http: { url: url(`/loop/${i}/a`), max_redirects: MAX_REDIRECTS },
      })),
    );
  }
  const config = {
    global: {
      interval: `${INTERVAL_S}s`,
      timeout: `${TIMEOUT_S * 1000}ms`,
      failure_threshold: 2,
      success_threshold: 1,
      instance: "hostile",
      max_in_flight: 5000,
    },
    server: { listen: "127.0.0.1:0" },
    storage: { path: join(dir, "ledger.db") },
    targets,
  };
  writeFileSync(configFile, stringify(config, { lineWidth: 0 }));
}

/** One request on its own connection (no keep-alive), so the daemon's socket count is ours to read. */
function call(method: string, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function targets(): Promise<TargetRow[]> {
  const { status, text } = await call("GET", "/api/v1/targets");
  expect(status).toBe(200);
  return (JSON.parse(text) as { targets: TargetRow[] }).targets;
}

async function metrics(): Promise<Sample[]> {
  return parsePromText((await call("GET", "/metrics")).text);
}

/** Histogram count with `le` ≤ `bound` and the total, over the samples given. */
function lagCounts(samples: Sample[], bound: string): { within: number; total: number } {
  return {
    within: sampleValue(samples, "pantau_scheduler_lag_seconds_bucket", { le: bound }),
    total: sampleValue(samples, "pantau_scheduler_lag_seconds_count"),
  };
}

/** The failing hostile targets go down; healthy ones and endless bodies only counted stay up. */
function expectedState(id: string): "up" | "down" {
  return id.startsWith("ok-") || (id.startsWith("endless-") && id >= "endless-0500")
    ? "up"
    : "down";
}

const LAG_BOUND = "0.5";

function cpuShare(sampler: ProcSampler): number {
  const first = sampler.samples[0];
  const last = sampler.samples.at(-1);
  if (!first || !last || last.at === first.at) return 0;
  return (last.cpuSeconds - first.cpuSeconds) / ((last.at - first.at) / 1000);
}

/** Every hostile target's last probe, and its failure counters, say what docs/probes.md says. */
function expectVerdicts(rows: TargetRow[], during: Sample[]): void {
  const group = (prefix: string) => rows.filter((t) => t.id.startsWith(prefix));
  // slow headers: the one timeout fires while waiting for headers
  for (const t of group("slow-")) {
    expect(t.last_probe, t.id).toMatchObject({
      result: "failed",
      reason: "timeout",
      detail: `timeout after ${SLOW_TIMEOUT_S}s (waiting for headers)`,
      bytes_read: 0,
    });
    // the deadline bounds it; the slack is for an event loop on a shared, busy machine
    expect(t.last_probe?.duration_seconds).toBeLessThan(ROUND_S);
  }
  // endless bodies: read up to max_body, then judged (not an error by itself)
  for (const t of group("endless-")) {
    const kept = t.id < "endless-0500";
    expect(t.last_probe, t.id).toMatchObject(
      kept
        ? { result: "failed", reason: "body", status: 200, bytes_read: MAX_BODY }
        : { result: "ok", reason: null, status: 200, bytes_read: MAX_BODY },
    );
    expect(t.last_probe?.duration_seconds).toBeLessThan(ROUND_S);
  }
  // redirect chains and loops: stopped at max_redirects
  for (const t of [...group("chain-"), ...group("loop-")]) {
    expect(t.last_probe, t.id).toMatchObject({
      result: "failed",
      reason: "too_many_redirects",
      redirects: MAX_REDIRECTS,
    });
    expect(t.last_probe?.detail).toMatch(
      /^stopped after 5 redirects \(max_redirects 5\), next http:\/\/127\.0\.0\.1:\d+\/(chain\/\d+\/6|loop\/\d+\/[ab])$/,
    );
  }
  // /metrics says the same per target
  const failures = (target: string, reason: string) =>
    sampleValue(during, "pantau_probe_failures_total", { target, reason });
  expect(failures("slow-0999", "timeout")).toBeGreaterThanOrEqual(2);
  expect(failures("endless-0000", "body")).toBeGreaterThanOrEqual(2);
  expect(failures("chain-0099", "too_many_redirects")).toBeGreaterThanOrEqual(2);
  expect(failures("loop-0000", "too_many_redirects")).toBeGreaterThanOrEqual(2);
}

/** Each healthy target never left up and was probed in every slot of the window. */
function healthyProbesIn(
  before: Sample[],
  during: Sample[],
  seconds: number,
): { healthyFailed: number; healthyProbes: number } {
  const planned = Math.floor(seconds / INTERVAL_S);
  let healthyFailed = 0;
  let healthyProbes = 0;
  for (const id of ids("ok", HEALTHY)) {
    const labels = { target: id, service: "healthy", site: "" };
    const count = (s: Sample[], result: string) =>
      sampleValue(s, "pantau_probes_total", { ...labels, result });
    const transitions = (from: string, to: string) =>
      sampleValue(during, "pantau_state_transitions_total", { ...labels, from, to });
    expect(transitions("up", "down") + transitions("up", "degraded"), id).toBe(0);
    const ok = count(during, "ok") - count(before, "ok");
    const failed = count(during, "failed") - count(before, "failed");
    expect(ok + failed, id).toBeGreaterThanOrEqual(planned - 1);
    healthyFailed += failed;
    healthyProbes += ok + failed;
  }
  return { healthyFailed, healthyProbes };
}

/** The daemon's sockets now, the minimum of a few readings (healthy probes come and go). */
async function quietSockets(): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    least = Math.min(least, readProc(daemon.pid).sockets);
    await sleep(100);
  }
  return least;
}

beforeAll(async () => {
  [farm, healthyFarm] = await Promise.all([startHostileFarm(), startHostileFarm()]);
  writeConfig(false);
  // with the V8 flags the image runs it with: the memory bound is for pantau as deployed (Node
  // 24's own defaults let the young generation grow ~100 MiB further than Node 20's did)
  const image = imageNodeOptions(readFileSync("Dockerfile", "utf8"));
  // after the test's own (the listen guard's --import)
  const env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} ${image}`.trim() };
  daemon = new DaemonProcess(["run", "--config", configFile, "--log-level", "info"], { env });
  const start = await daemon.waitFor((line) => line.event === "start", 30_000);
  base = `http://${String(start.listen)}`;
});

afterAll(async () => {
  daemon?.signal("SIGTERM");
  await daemon?.exited();
  await farm?.close();
  await healthyFarm?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("1,000 slow-header, 1,000 endless-body and 200 redirect endpoints at once", () => {
  it("get the verdicts docs/probes.md gives, with memory and sockets bounded, and healthy targets unaffected", {
    timeout: 120_000,
  }, async () => {
    await until(async () => (await targets()).every((t) => t.state === "up"), {
      what: "every healthy target up",
      timeoutMs: 20_000,
      failed: () => (daemon.lines.some((l) => l.level === 50) ? daemon.stderr.join("\n") : null),
    });
    const baselineSockets = await quietSockets();
    const baselineRss = readProc(daemon.pid).rssMiB;

    writeConfig(true);
    const reload = await call("POST", "/-/reload");
    expect(reload.status, reload.text).toBe(200);
    expect(JSON.parse(reload.text).added).toHaveLength(SLOW + ENDLESS + CHAINS + LOOPS);
    const sampler = new ProcSampler(daemon.pid, 200);
    // every target meets its behaviour twice: the failing ones go down (committed, logged)
    let unjudged: TargetRow[] = [];
    await until(
      async () => {
        unjudged = (await targets()).filter((t) => t.state !== expectedState(t.id));
        return unjudged.length === 0;
      },
      {
        what: "every hostile target judged",
        timeoutMs: 40_000,
        intervalMs: 1000,
      },
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(unjudged.slice(0, 5))}`);
    });
    // then a steady window with every hostile target probed again and again
    const before = await metrics();
    const hostileSince = Date.now();
    const steadyFrom = performance.now();
    await sleep(HOSTILE_ROUNDS * ROUND_S * 1000);
    const during = await metrics();
    const rows = await targets();
    const hostileSeconds = (Date.now() - hostileSince) / 1000;
    sampler.stop();

    const farmDuring = await farm.stats();

    expectVerdicts(rows, during);

    // healthy targets: up all along, every slot probed, next to no failure
    for (const t of rows.filter((r) => r.id.startsWith("ok-"))) expect(t.state, t.id).toBe("up");
    const { healthyFailed, healthyProbes } = healthyProbesIn(before, during, hostileSeconds);
    // a failure here is a probe that outlived its 1.5 s timeout: only a starved event loop does that
    expect(healthyFailed / healthyProbes).toBeLessThan(0.01);
    const skipped = (s: Sample[], cause: string) =>
      sampleValue(s, "pantau_scheduler_skipped_total", { cause });
    for (const cause of ["overrun", "queued"]) {
      expect(skipped(during, cause) - skipped(before, cause)).toBe(0);
    }
    const lagBefore = lagCounts(before, LAG_BOUND);
    const lagDuring = lagCounts(during, LAG_BOUND);
    const late = lagDuring.total - lagDuring.within - (lagBefore.total - lagBefore.within);
    const probed = lagDuring.total - lagBefore.total;
    // memory: see the bound's reasoning at MEMORY_BOUND_MIB
    const peakRss = sampler.peak("rssMiB");
    const rssPeakBefore = Math.max(
      ...sampler.samples.filter((r) => r.at < steadyFrom).map((r) => r.rssMiB),
    );
    const rssPeakSteady = Math.max(
      ...sampler.samples.filter((r) => r.at >= steadyFrom).map((r) => r.rssMiB),
    );
    const peakSockets = sampler.peak("sockets");
    console.info(
      `hostile: baseline ${baselineRss.toFixed(0)} MiB / ${baselineSockets} sockets; ` +
        `peak ${peakRss.toFixed(0)} MiB / ${peakSockets} sockets; ${probed} probes in ${hostileSeconds.toFixed(1)} s; ` +
        `late (>${LAG_BOUND} s) ${late}; healthy probes failed ${healthyFailed} of ${healthyProbes}; ` +
        `RSS peak before the window ${rssPeakBefore.toFixed(0)} MiB, in it ${rssPeakSteady.toFixed(0)} MiB; daemon CPU ${cpuShare(sampler).toFixed(2)} cores; farm: ${JSON.stringify(farmDuring)}`,
    );
    // lag over every probe of the window (hostile ones too): ≥ 99 % start within LAG_BOUND, all
    // within 1 s (a healthy interval is 2 s); generous, as the test machine's two cores are shared
    expect(late / probed).toBeLessThan(0.01);
    expect(lagCounts(during, "1").within - lagCounts(before, "1").within).toBe(probed);

    expect(peakRss - baselineRss).toBeLessThan(MEMORY_BOUND_MIB);
    // and it does not grow while the same hostile targets are probed again and again
    expect(rssPeakSteady - rssPeakBefore).toBeLessThan(32);
    // most of the 1,000 slow-header sockets were held at the same time
    expect(peakSockets).toBeGreaterThan(SLOW / 2);
    // sockets in flight at most one per target (a redirect hop closes before the next opens)
    expect(peakSockets).toBeLessThan(baselineSockets + SLOW + ENDLESS + CHAINS + LOOPS);
    // the server wrote at most what the client read plus what socket buffers hold
    expect(farmDuring.endlessMaxWritten).toBeLessThan(16 * 1024 * 1024);

    // the hostile targets leave: their sockets go with them, on both sides
    writeConfig(false);
    expect((await call("POST", "/-/reload")).status).toBe(200);
    await until(async () => (await quietSockets()) <= baselineSockets, {
      what: `daemon sockets back to the baseline of ${baselineSockets}`,
      timeoutMs: (SLOW_TIMEOUT_S + 5) * 1000,
    });
    const farmAfter = await farm.stats();
    expect({ ...farmAfter.open, ok: 0 }).toEqual({ ok: 0, slow: 0, endless: 0, chain: 0, loop: 0 });
  });
});

/**
 * Why 200 MiB over the healthy-only baseline bounds the daemon here (measured: ≈ 145 MiB):
 * - state and series for 2,200 more targets: ≈ 30–45 KiB each (docs/performance.md) ≈ 100 MiB;
 * - bodies kept for body_contains: at most 500 × 64 KiB = 31 MiB even if all were in flight;
 * - socket buffers and undici parsers for ≈ 1,000 connections in flight: a few tens of MiB.
 * An endless body read without the max_body cap grows by hundreds of MiB a second per probe on
 * loopback, and slow headers held past the timeout pile up a socket per probe: either blows it.
 */
const MEMORY_BOUND_MIB = 200;
