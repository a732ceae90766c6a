/**
 * Names, not only addresses: N HTTP targets at 10 s named by host name, resolved through Debian's
 * unbound on loopback (a local zone of N names, TTL 300 s; one more name forwarded to a stub that
 * answers after SLOW_MS with TTL 0, so it is slow on every probe), against the same targets by IP
 * literal. Two ways of resolving: the system's (dns.lookup → getaddrinfo on libuv's 4 threads,
 * /etc/resolv.conf pointing at unbound inside the daemon's own mount namespace) and pantau's own
 * (`global.resolver`: c-ares on the event loop, answers cached for their TTL).
 */
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { decode, encode } from "dns-packet";
import { stringify } from "yaml";
import { localZone, startUnbound, UNBOUND } from "../support/external/unbound.js";
import { envNumber, sleep } from "./env.js";
import {
  type FailureReason,
  failureCounts,
  failureReasons,
  formatReasons,
} from "./failure-reasons.js";
import { type Farm, startFarm } from "./farm.js";
import { fmtInt, fmtSeconds, measureWindow, type Window } from "./measure.js";
import { exists, freePort, startDaemon, targetId, workDir } from "./pantau.js";
import { readProc } from "./proc.js";
import { median, printTable } from "./table.js";

const INTERVAL_S = 10;
const ZONE = "farm.bench";
const SLOW_NAME = "slow.slowzone.bench";
const SLOW_MS = 3_000;

type Mode = "IP literals" | "names, system lookup" | "names, global.resolver";

const MODES: Readonly<Record<string, Mode>> = {
  ip: "IP literals",
  system: "names, system lookup",
  resolver: "names, global.resolver",
};

interface Run {
  mode: Mode;
  windows: Window[];
  unboundCpuPerSecond: number;
  /** Failed probes over all the windows by reason, with a sample detail each. */
  failures: FailureReason[];
}

/** The config: target i by `host(i)`; the last target is the slow name in the name modes. */
function writeNamesConfig(
  dir: string,
  farm: Farm,
  count: number,
  mode: Mode,
  port: number,
  resolver: string,
): string {
  const host = (i: number): string => {
    if (mode === "IP literals") return "127.0.0.1";
    return i === count - 1 ? SLOW_NAME : `${targetId(i)}.${ZONE}`;
  };
  const config = {
    global: {
      interval: `${INTERVAL_S}s`,
      timeout: "2s",
      failure_threshold: 3,
      instance: "bench",
      max_in_flight: 5000,
      ...(mode === "names, global.resolver" ? { resolver } : {}),
    },
    server: { listen: `127.0.0.1:${port}` },
    storage: { path: join(dir, "ledger.db") },
    targets: Array.from({ length: count }, (_, i) => ({
      id: targetId(i),
      service: `svc-${i % 20}`,
      site: `site-${i % 50}`,
      http: { url: `http://${host(i)}:${farm.port}/t/${i}` },
    })),
  };
  const file = join(dir, "pantau.yaml");
  writeFileSync(file, stringify(config, { lineWidth: 0 }));
  return file;
}

/** A DNS stub that answers every A/AAAA query for the slow name after SLOW_MS, TTL 0. */
async function startSlowStub(): Promise<{ port: number; close(): void }> {
  const socket = createSocket("udp4");
  const timers = new Set<NodeJS.Timeout>();
  socket.on("message", (message, peer) => {
    const query = decode(message);
    const question = query.questions?.[0];
    const answers =
      question?.type === "A"
        ? [{ name: question.name, type: "A" as const, ttl: 0, data: "127.0.0.1" }]
        : [];
    const timer = setTimeout(() => {
      timers.delete(timer);
      const reply = encode({
        type: "response",
        id: query.id,
        flags: 1 << 10, // authoritative
        questions: query.questions,
        answers,
      });
      socket.send(reply, peer.port, peer.address);
    }, SLOW_MS);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    port: socket.address().port,
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      socket.close();
    },
  };
}

/**
 * The daemon in its own mount namespace, /etc/resolv.conf bound over by one naming `address`
 * (getaddrinfo asks port 53 only): the host's own file is untouched.
 */
function resolvConfLauncher(dir: string, address: string): string[] {
  const file = join(dir, "resolv.conf");
  writeFileSync(file, `nameserver ${address}\noptions timeout:5 attempts:2\n`);
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "--",
    "sh",
    "-c",
    'mount --bind "$0" /etc/resolv.conf && exec "$@"',
    file,
  ];
}

async function run(
  mode: Mode,
  farm: Farm,
  count: number,
  unbound: { pid: number; address: string; port53: string },
  windowS: number,
  repeats: number,
): Promise<Run> {
  const port = await freePort();
  const dir = workDir(`names-${mode.replace(/\W+/g, "-")}`);
  const config = writeNamesConfig(dir, farm, count, mode, port, unbound.address);
  // every mode runs in the namespace, so that the launcher costs all three the same
  const launcher = resolvConfLauncher(dir, unbound.port53);
  progress(`${mode}: starting the daemon`);
  const daemon = await startDaemon(config, port, [], launcher);
  progress(`${mode}: daemon up, warming up for one interval`);
  try {
    await sleep((INTERVAL_S + 2) * 1000);
    const windows: Window[] = [];
    const cpu0 = readProc(unbound.pid).cpuSeconds;
    const began = performance.now();
    const failedBefore = failureCounts((await daemon.metrics()).samples);
    for (let i = 0; i < repeats; i++) {
      windows.push(await measureWindow(daemon, farm, windowS));
      progress(`${mode}: window ${i + 1} of ${repeats} measured`);
    }
    const unboundCpuPerSecond =
      (readProc(unbound.pid).cpuSeconds - cpu0) / ((performance.now() - began) / 1000);
    const failedAfter = failureCounts((await daemon.metrics()).samples);
    const failures = await failureReasons(daemon, failedBefore, failedAfter);
    // printed now too: a run stopped before its tables still tells why each finished mode failed
    const probes = windows.reduce((sum, w) => sum + w.probes, 0);
    progress(`${mode}: ${fmtInt(probes)} probes; failed by reason: ${formatReasons(failures)}`);
    return { mode, windows, unboundCpuPerSecond, failures };
  } finally {
    await daemon.stop();
  }
}

/** A line on stderr with the time and load: a 10,000-target run takes minutes on a busy machine. */
function progress(text: string): void {
  const load = loadavg()
    .map((value) => value.toFixed(1))
    .join(" ");
  process.stderr.write(`[names ${new Date().toISOString().slice(11, 19)} load ${load}] ${text}\n`);
}

/** A loopback address of its own for unbound's port 53 (no other process there). */
function port53Address(): string {
  const byte = () => 1 + Math.floor(Math.random() * 250);
  return `127.53.${byte()}.${byte()}`;
}

export async function namesBench(): Promise<void> {
  if (!exists(UNBOUND)) {
    process.stdout.write(
      `\n### Names\n\nskipped: ${UNBOUND} is missing (apt-get install unbound)\n`,
    );
    return;
  }
  const count = envNumber("BENCH_NAMES_TARGETS", 10_000, 2_000);
  const windowS = envNumber("BENCH_WINDOW_S", 20, 8);
  const repeats = envNumber("BENCH_REPEATS", 3, 2);
  const dir = workDir("names-unbound");
  const stub = await startSlowStub();
  const records = Array.from(
    { length: count - 1 },
    (_, i) => `${targetId(i)}.${ZONE}. 300 IN A 127.0.0.1`,
  );
  const port53 = port53Address();
  const unbound = await startUnbound({
    dir,
    serverLines: [
      `interface: ${port53}@53`,
      ...localZone(`${ZONE}.`, records),
      // the slow name's zone is asked of the stub every time (TTL 0: nothing to cache)
      'domain-insecure: "slowzone.bench."',
      'local-zone: "slowzone.bench." transparent',
    ],
    more: ["forward-zone:", '  name: "slowzone.bench."', `  forward-addr: 127.0.0.1@${stub.port}`],
    readyName: `${targetId(0)}.${ZONE}`,
  });
  const farm = await startFarm(count);
  const runs: Run[] = [];
  try {
    for (const mode of chosenModes()) {
      runs.push(await run(mode, farm, count, { ...unbound, port53 }, windowS, repeats));
    }
  } finally {
    await farm.close();
    await unbound.stop();
    stub.close();
  }
  printTable(
    `Names: ${fmtInt(count)} HTTP targets at ${INTERVAL_S} s, timeout 2 s, through unbound on loopback (one name answered after ${SLOW_MS / 1000} s, TTL 0); ${repeats} windows of ${windowS} s after one interval of warm-up; medians over windows`,
    [
      "targets named by",
      "probes done / planned",
      "failed",
      "skipped",
      "lag p50",
      "lag p99",
      "worst window p99",
      "CPU/probe",
      "daemon CPU (of 1 core)",
      "unbound CPU",
    ],
    runs.map(({ mode, windows, unboundCpuPerSecond }: Run) => {
      const probes = windows.reduce((s, w) => s + w.probes, 0);
      const seconds = windows.reduce((s, w) => s + w.seconds, 0);
      return [
        mode,
        `${fmtInt(probes)} / ${fmtInt((count * seconds) / INTERVAL_S)}`,
        fmtInt(windows.reduce((s, w) => s + w.failed, 0)),
        fmtInt(windows.reduce((s, w) => s + w.skipped, 0)),
        fmtSeconds(median(windows.map((w) => w.lagP50))),
        fmtSeconds(median(windows.map((w) => w.lagP99))),
        fmtSeconds(Math.max(...windows.map((w) => w.lagP99))),
        `${median(windows.map((w) => (w.cpuSeconds / Math.max(1, w.probes)) * 1e6)).toFixed(0)} µs`,
        `${median(windows.map((w) => (100 * w.cpuSeconds) / w.seconds)).toFixed(1)} %`,
        `${(100 * unboundCpuPerSecond).toFixed(1)} %`,
      ];
    }),
  );
  printTable(
    "Names: failed probes by reason over the same windows (each with the last failed probe of one target for that reason)",
    ["targets named by", "failed probes by reason"],
    runs.map(({ mode, failures }) => [mode, formatReasons(failures)]),
  );
}

/** BENCH_NAMES_MODES=ip,system,resolver (the default: all three, in that order). */
function chosenModes(): Mode[] {
  const text = process.env.BENCH_NAMES_MODES ?? "ip,system,resolver";
  return text.split(",").map((name) => {
    const mode = MODES[name.trim()];
    if (mode === undefined) {
      throw new Error(
        `BENCH_NAMES_MODES: "${name}" is not one of ${Object.keys(MODES).join(", ")}`,
      );
    }
    return mode;
  });
}
