import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { parsePromText, type Sample } from "../support/prom-text.js";
import { sleep } from "./env.js";
import { stop } from "./farm.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT = join(ROOT, "test/artifacts/bench");
/** The daemon under test: src/ compiled once per bench run (dist/ may be stale or someone else's). */
export const CLI = join(OUT, "dist/cli/main.js");
let built = false;

export function buildPantau(): void {
  if (built) return;
  mkdirSync(OUT, { recursive: true });
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", join(OUT, "dist")], {
    cwd: ROOT,
    stdio: "inherit",
  });
  // version.ts reads ../package.json next to the compiled tree
  copyFileSync(join(ROOT, "package.json"), join(OUT, "package.json"));
  built = true;
}

export interface Timing {
  interval: string;
  timeout: string;
  failureThreshold: number;
  successThreshold?: number;
  maxInFlight?: number;
}

export function workDir(name: string): string {
  mkdirSync(join(tmpdir(), "pantau-bench"), { recursive: true });
  return mkdtempSync(join(tmpdir(), "pantau-bench", `${name}-`));
}

export const targetId = (i: number): string => `t-${String(i).padStart(5, "0")}`;

/** A pantau config for targets 0..count-1 of the farm (http, 20 services, 50 sites). */
export function writeConfig(
  dir: string,
  url: (i: number) => string,
  count: number,
  timing: Timing,
  port: number,
  db = join(dir, "ledger.db"),
): string {
  const config = {
    global: {
      interval: timing.interval,
      timeout: timing.timeout,
      failure_threshold: timing.failureThreshold,
      success_threshold: timing.successThreshold ?? 1,
      instance: "bench",
      max_in_flight: timing.maxInFlight ?? 5000,
    },
    server: { listen: `127.0.0.1:${port}` },
    storage: { path: db },
    targets: Array.from({ length: count }, (_, i) => ({
      id: targetId(i),
      service: `svc-${i % 20}`,
      site: `site-${i % 50}`,
      http: { url: url(i) },
    })),
  };
  const file = join(dir, "pantau.yaml");
  writeFileSync(file, stringify(config, { lineWidth: 0 }));
  return file;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One committed transition as logged (pino's `time` is when the line was written: after commit). */
export interface LoggedTransition {
  target: string;
  to: string;
  at: number;
  detectedAt: number;
  loggedAt: number;
}

export interface Daemon {
  pid: number;
  port: number;
  child: ChildProcess;
  transitions: LoggedTransition[];
  metrics(): Promise<{ samples: Sample[]; bytes: number; ms: number; at: number }>;
  stop(): Promise<void>;
}

/** Starts `node dist/cli/main.js run` and waits until /-/healthy answers. */
export async function startDaemon(
  config: string,
  port: number,
  nodeArgs: string[] = [],
  /** A command that execs the rest of its arguments (e.g. `unshare … sh -c …`); none by default. */
  launcher: readonly string[] = [],
): Promise<Daemon> {
  buildPantau();
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  // e.g. BENCH_NODE_ARGS=--max-old-space-size=1024: compare V8 settings on the same scenario
  const extra = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const args = [...profile, ...extra, ...nodeArgs, CLI, "run", "--config", config];
  const [command, ...prefix] = [...launcher, process.execPath];
  const child = spawn(command ?? process.execPath, [...prefix, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const transitions: LoggedTransition[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    if (!line.includes('"transition"')) return;
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (entry.event !== "transition") return;
    transitions.push({
      target: String(entry.target),
      to: String(entry.to),
      at: Date.parse(String(entry.at)),
      detectedAt: Date.parse(String(entry.detected_at)),
      loggedAt: Date.parse(String(entry.time)),
    });
  });
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(base, child);
  return {
    pid: child.pid ?? 0,
    port,
    child,
    transitions,
    metrics: async () => {
      const began = performance.now();
      const at = Date.now();
      const text = await (await fetch(`${base}/metrics`)).text();
      const ms = performance.now() - began;
      return { samples: parsePromText(text), bytes: Buffer.byteLength(text), ms, at };
    },
    stop: () => stop(child),
  };
}

export async function waitHealthy(
  base: string,
  child: ChildProcess,
  limitMs = 60_000,
): Promise<number> {
  const began = performance.now();
  while (performance.now() - began < limitMs) {
    if (child.exitCode !== null) throw new Error(`pantau exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/-/healthy`)).ok) return performance.now() - began;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  throw new Error(`pantau not healthy after ${limitMs} ms`);
}

export const exists = existsSync;
