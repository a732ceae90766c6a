import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ConfigIssue } from "../fields/errors.js";
import { systemTimers, type TimerHandle, type Timers } from "../time/clock.js";
import { attachCredentialsAgain } from "./connection-resources.js";
import type { Environment } from "./env.js";
import { type ConfigLoadResult, type LoadOptions, loadConfig } from "./load.js";
import { type RestartOnlyOptions, restartOnlyIssues } from "./restart-only.js";
import type { Config, Target } from "./types.js";

/**
 * loadConfig in a worker thread, for a reload: parsing and validating a config of 160,000
 * targets takes tens of seconds of CPU, which on the main thread would stop every probe,
 * scrape and commit for as long. The same code runs there, so the result and every issue are
 * those of loadConfig; it arrives in slices, each a short turn of the main thread.
 */

/** Targets per message: receiving one costs the main thread about a millisecond. */
export const TARGETS_PER_MESSAGE = 500;

export interface LoadRequest {
  file: string;
  env: Environment;
  options: LoadOptions;
  /** The running config (its targets left out) to compare restart-only settings with. */
  running: { config: Config; options: RestartOnlyOptions } | null;
}

export type LoadMessage =
  | { kind: "issues"; issues: ConfigIssue[] }
  | { kind: "config"; config: Config; restartOnly: ConfigIssue[]; withTls: number[] }
  | { kind: "targets"; targets: Target[] }
  | { kind: "end" };

/** Why the load was done on this thread after all. */
export interface WorkerFallback {
  reason: "cannot_start" | "failed" | "exited" | "silent";
  /** What the worker said or did, for the log. */
  detail: string;
}

export interface OffThreadLoad {
  loaded: ConfigLoadResult;
  /** Settings the running daemon cannot change without a restart (none without `running`). */
  restartOnly: ConfigIssue[];
  /** Set when the worker could not start, broke or went silent: the load was done here. */
  fallback?: WorkerFallback;
}

/** The part of a worker thread the load speaks to. */
export type LoadWorker = Pick<Worker, "on" | "postMessage" | "terminate">;

export interface OffThreadSeams {
  /** Timers of the silence bound (the daemon's own, so tests move them on). */
  timers?: Timers;
  /** Starts the worker; tests pass one that breaks or never answers. */
  startWorker?: (request: LoadRequest) => LoadWorker;
  /** Aborted: the worker is ended and the load throws the signal's reason (a daemon stopping). */
  signal?: AbortSignal;
}

const MIB = 1024 * 1024;

/**
 * How long the worker may stay silent before it is ended and the load done here. Its longest
 * silence is the parse before its first message: ~8 s a MiB at worst so far (a 26 MiB file of
 * 160,000 targets reloaded in 200 s on 2 busy cores, load average 14); a minute plus 20 s a
 * MiB is more than twice that, and a minute for a small file.
 */
export function workerSilenceBoundMs(fileBytes: number): number {
  return 60_000 + Math.ceil(fileBytes / MIB) * 20_000;
}

export async function loadConfigOffThread(
  file: string,
  env: Environment,
  options: LoadOptions,
  running: LoadRequest["running"] = null,
  seams: OffThreadSeams = {},
): Promise<OffThreadLoad> {
  const settings =
    running === null ? null : { ...running, config: { ...running.config, targets: [] } };
  // a file that cannot be read: the worker says so in loadConfig's words, soon
  const bytes = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  seams.signal?.throwIfAborted();
  const request = { file, env: { ...env }, options, running: settings };
  let received: Received;
  try {
    received = await receive(request, workerSilenceBoundMs(bytes), seams);
  } catch (error) {
    if (!(error instanceof LoadWorkerError)) throw error;
    // a worker that cannot start, breaks or goes silent: the load is done here, slower but done
    const loaded = await loadOnThisThread(file, env, options, running);
    return { ...loaded, fallback: { reason: error.reason, detail: error.message } };
  }
  if (received.kind === "issues") {
    return { loaded: { ok: false, issues: received.issues }, restartOnly: [] };
  }
  const { config, restartOnly, withTls } = received;
  // TLS contexts do not cross threads: read the files again here; should one have changed
  // in between, the load is done again on this thread, so that its issue names its line
  if (!(await attachCredentialsAgain(withTls.map((index) => config.targets[index] as Target)))) {
    return { loaded: await loadConfig(file, env, options), restartOnly };
  }
  return { loaded: { ok: true, config }, restartOnly };
}

async function loadOnThisThread(
  file: string,
  env: Environment,
  options: LoadOptions,
  running: LoadRequest["running"],
): Promise<OffThreadLoad> {
  const loaded = await loadConfig(file, env, options);
  if (!loaded.ok || running === null) return { loaded, restartOnly: [] };
  const restartOnly = await restartOnlyIssues(running.config, loaded.config, running.options);
  return { loaded, restartOnly };
}

type Received = Extract<LoadMessage, { kind: "issues" }> | Extract<LoadMessage, { kind: "config" }>;

/** The worker could not do the load: why, and what it said. */
class LoadWorkerError extends Error {
  override readonly name = "LoadWorkerError";
  constructor(
    readonly reason: WorkerFallback["reason"],
    message: string,
  ) {
    super(message);
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const noConfig = () =>
  new LoadWorkerError("failed", "the config load worker sent no config before its end");

function receive(
  request: LoadRequest,
  silenceMs: number,
  seams: OffThreadSeams,
): Promise<Received> {
  const timers = seams.timers ?? systemTimers;
  return new Promise((resolve, reject) => {
    let worker: LoadWorker;
    try {
      worker = (seams.startWorker ?? startLoadWorker)(request);
    } catch (error) {
      reject(
        new LoadWorkerError(
          "cannot_start",
          `the config load worker could not start: ${messageOf(error)}`,
        ),
      );
      return;
    }
    let head: Extract<LoadMessage, { kind: "config" }> | null = null;
    let settled = false;
    let silence: TimerHandle | null = null;
    const settle = (outcome: Received | Error) => {
      if (settled) return;
      settled = true;
      if (silence !== null) timers.clearTimeout(silence);
      seams.signal?.removeEventListener("abort", abandon);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
      void worker.terminate();
    };
    // the bound runs from the last message: a big file's slices keep coming, a hung worker's not
    const heard = () => {
      if (silence !== null) timers.clearTimeout(silence);
      silence = timers.setTimeout(() => {
        const seconds = Math.round(silenceMs / 1000);
        settle(
          new LoadWorkerError("silent", `the config load worker did not answer within ${seconds}s`),
        );
      }, silenceMs);
      silence.unref?.();
    };
    heard();
    const { signal } = seams;
    const abandon = () =>
      settle(signal?.reason instanceof Error ? signal.reason : new Error("the load was abandoned"));
    signal?.addEventListener("abort", abandon, { once: true });
    // the next slice is asked for after a turn of the event loop: probes run in between
    const askForMore = () => setImmediate(() => worker.postMessage("more"));
    worker.on("message", (message: LoadMessage) => {
      heard();
      if (message.kind === "issues") settle(message);
      else if (message.kind === "end") settle(head ?? noConfig());
      else {
        if (message.kind === "config") head = message;
        else head?.config.targets.push(...message.targets);
        askForMore();
      }
    });
    // a bug in the loader, or a worker that could not start its script
    worker.on("error", (error) =>
      settle(new LoadWorkerError("failed", `the config load worker failed: ${messageOf(error)}`)),
    );
    worker.on("exit", (code) =>
      settle(new LoadWorkerError("exited", `the config load worker exited (${code})`)),
    );
  });
}

function startLoadWorker(workerData: LoadRequest): Worker {
  if (!import.meta.url.endsWith(".ts")) {
    return new Worker(new URL("./load-worker.js", import.meta.url), { workerData });
  }
  // from the sources (tests, benchmarks): the worker registers tsx, then loads the TypeScript
  const tsxPackage = createRequire(import.meta.url).resolve("tsx/package.json");
  const tsx = pathToFileURL(join(dirname(tsxPackage), "dist/esm/api/index.mjs")).href;
  const entry = new URL("./load-worker.ts", import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
