import { type ChildProcess, fork } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { localZone, startUnbound, UNBOUND } from "../support/external/unbound.js";
import { envNumber, sleep } from "./env.js";
import { startFarm, stop } from "./farm.js";
import { fmtInt, measureWindow, type Window } from "./measure.js";
import { freePort, startDaemon, targetId, workDir } from "./pantau.js";
import { total } from "./prom.js";
import { median, printTable } from "./table.js";

const INTERVAL_S = 10;
const GRPC_SERVER = fileURLToPath(new URL("./grpc-farm-server.ts", import.meta.url));

/** The loopback server(s) one kind's targets probe: a process to stop, a prober block per target. */
interface KindServer {
  pid: number;
  block(i: number): Record<string, unknown>;
  close(): Promise<void>;
}

type Kind = "http" | "tcp" | "dns" | "grpc";

/** Each kind against its server, every target answering ok: target i is its own path, name or service. */
const SERVERS: Record<Kind, (count: number) => Promise<KindServer | string>> = {
  http: async (count) => {
    const farm = await startFarm(count);
    return { pid: farm.pid, block: (i) => ({ http: { url: farm.url(i) } }), close: farm.close };
  },
  tcp: async (count) => {
    const farm = await startFarm(count);
    return {
      pid: farm.pid,
      block: () => ({ tcp: { host: "127.0.0.1", port: farm.port } }),
      close: farm.close,
    };
  },
  dns: async (count) => {
    if (!existsSync(UNBOUND)) return `${UNBOUND} missing; run scripts/bench-setup.sh`;
    const records = Array.from(
      { length: count },
      (_, i) => `t${i}.bench.example. 300 IN A 127.0.0.1`,
    );
    const unbound = await startUnbound({
      dir: workDir("kinds-unbound"),
      serverLines: localZone("bench.example.", records),
      readyName: "t0.bench.example",
    });
    return {
      pid: unbound.pid,
      block: (i) => ({
        dns: {
          server: unbound.address,
          query_name: `t${i}.bench.example`,
          validate_answer_rrs: { fail_if_none_matches_regexp: ["\tA\t127\\.0\\.0\\.1$"] },
        },
      }),
      close: unbound.stop,
    };
  },
  grpc: async (count) => {
    const child = fork(GRPC_SERVER, [String(count)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const port = await listening(child);
    return {
      pid: child.pid ?? 0,
      block: (i) => ({ grpc: { host: "127.0.0.1", port, service: `svc-${i}` } }),
      close: () => stop(child),
    };
  },
};

function listening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`gRPC server exited with ${code}`)));
    child.on("message", (m: { ready?: boolean; port?: number }) => {
      if (m.ready === true && m.port !== undefined) resolve(m.port);
    });
  });
}

/** A pantau config of `count` targets of one kind (the scale bench's global settings). */
function writeKindConfig(dir: string, count: number, server: KindServer, port: number): string {
  const config = {
    global: {
      interval: `${INTERVAL_S}s`,
      timeout: "2s",
      failure_threshold: 3,
      instance: "bench",
      max_in_flight: 5000,
    },
    server: { listen: `127.0.0.1:${port}` },
    storage: { path: join(dir, "ledger.db") },
    targets: Array.from({ length: count }, (_, i) => ({
      id: targetId(i),
      service: `svc-${i % 20}`,
      site: `site-${i % 50}`,
      ...server.block(i),
    })),
  };
  const file = join(dir, "pantau.yaml");
  writeFileSync(file, stringify(config, { lineWidth: 0 }));
  return file;
}

interface Run {
  windows: Window[];
  /** Probes in the windows that did not end `ok`: the servers must answer every one. */
  notOk: number;
}

/** One daemon on `count` targets of `kind`: one interval of warm-up, then windows back to back. */
async function run(
  kind: Kind,
  count: number,
  windowS: number,
  repeats: number,
): Promise<Run | string> {
  const server = await SERVERS[kind](count);
  if (typeof server === "string") return server;
  const port = await freePort();
  const dir = workDir(`kinds-${kind}-${count}`);
  const daemon = await startDaemon(writeKindConfig(dir, count, server, port), port);
  try {
    await sleep((INTERVAL_S + 2) * 1000);
    const before = await daemon.metrics();
    const windows: Window[] = [];
    for (let i = 0; i < repeats; i++) windows.push(await measureWindow(daemon, server, windowS));
    const after = await daemon.metrics();
    const probes = (samples: typeof before.samples, labels: Record<string, string> = {}) =>
      total(samples, "pantau_probes_total", labels);
    const notOk =
      probes(after.samples) -
      probes(before.samples) -
      (probes(after.samples, { result: "ok" }) - probes(before.samples, { result: "ok" }));
    return { windows, notOk };
  } finally {
    await daemon.stop();
    await server.close();
  }
}

const KINDS: readonly Kind[] = ["http", "tcp", "dns", "grpc"];

/** `BENCH_KINDS=grpc,dns`: some kinds only (all by default). */
function kindsWanted(): Kind[] {
  const text = process.env.BENCH_KINDS ?? "";
  if (text === "") return [...KINDS];
  const wanted = text.split(",");
  const unknown = wanted.filter((kind) => !KINDS.includes(kind as Kind));
  if (unknown.length > 0) throw new Error(`BENCH_KINDS: unknown kind ${unknown.join(", ")}`);
  return wanted as Kind[];
}

/** CPU per probe and RSS per target of each prober kind, at the same size and interval. */
export async function kindsBench(): Promise<void> {
  const count = envNumber("BENCH_KINDS_TARGETS", 1_000, 1_000);
  const windowS = envNumber("BENCH_WINDOW_S", 20, 8);
  const repeats = envNumber("BENCH_REPEATS", 3, 2);
  const base = await run("http", 1, 2, 1);
  const baseRss = typeof base === "string" ? 0 : (base.windows[0]?.rssEndMiB ?? 0);
  const rows: string[][] = [];
  for (const kind of kindsWanted()) {
    const result = await run(kind, count, windowS, repeats);
    if (typeof result === "string") {
      process.stderr.write(`kinds: ${kind} skipped: ${result}\n`);
      rows.push([kind, "skipped", "", "", "", "", "", ""]);
      continue;
    }
    const { windows, notOk } = result;
    const probes = windows.reduce((s, w) => s + w.probes, 0);
    const seconds = windows.reduce((s, w) => s + w.seconds, 0);
    const rss = Math.max(...windows.map((w) => w.rssPeakMiB));
    rows.push([
      kind,
      `${fmtInt(probes)} / ${fmtInt((count * seconds) / INTERVAL_S)}`,
      fmtInt(notOk),
      `${median(windows.map((w) => (w.cpuSeconds / Math.max(1, w.probes)) * 1e6)).toFixed(0)} µs`,
      `${median(windows.map((w) => (100 * w.cpuSeconds) / w.seconds)).toFixed(1)} %`,
      `${median(windows.map((w) => (100 * w.farmCpuSeconds) / w.seconds)).toFixed(1)} %`,
      `${rss.toFixed(0)} MiB`,
      `${(((rss - baseRss) * 1024) / count).toFixed(1)} KiB`,
    ]);
  }
  printTable(
    `Prober kinds: ${fmtInt(count)} targets of one kind at ${INTERVAL_S} s (${repeats} windows of ${windowS} s after one interval of warm-up; medians over windows)`,
    [
      "kind",
      "probes done / planned",
      "not ok",
      "CPU/probe",
      "daemon CPU (of 1 core)",
      "server CPU",
      "peak RSS",
      `RSS/target (over ${baseRss.toFixed(0)} MiB, 1 target)`,
    ],
    rows,
  );
}
