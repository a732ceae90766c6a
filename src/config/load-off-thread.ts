import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ConfigIssue } from "../fields/errors.js";
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

export interface OffThreadLoad {
  loaded: ConfigLoadResult;
  /** Settings the running daemon cannot change without a restart (none without `running`). */
  restartOnly: ConfigIssue[];
}

export async function loadConfigOffThread(
  file: string,
  env: Environment,
  options: LoadOptions,
  running: LoadRequest["running"] = null,
): Promise<OffThreadLoad> {
  const settings =
    running === null ? null : { ...running, config: { ...running.config, targets: [] } };
  const received = await receive({ file, env: { ...env }, options, running: settings }).catch(
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  // a worker that cannot start or breaks: the load is done here, slower but never lost
  if (received instanceof Error) return loadOnThisThread(file, env, options, running);
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

function receive(request: LoadRequest): Promise<Received> {
  return new Promise((resolve, reject) => {
    const worker = startLoadWorker(request);
    let head: Extract<LoadMessage, { kind: "config" }> | null = null;
    let settled = false;
    const settle = (outcome: Received | Error) => {
      if (settled) return;
      settled = true;
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
      void worker.terminate();
    };
    // the next slice is asked for after a turn of the event loop: probes run in between
    const askForMore = () => setImmediate(() => worker.postMessage("more"));
    worker.on("message", (message: LoadMessage) => {
      if (message.kind === "issues") settle(message);
      else if (message.kind === "end") settle(head ?? new Error("no config before its end"));
      else {
        if (message.kind === "config") head = message;
        else head?.config.targets.push(...message.targets);
        askForMore();
      }
    });
    // a bug in the loader, or a worker that could not start: the reload fails loudly
    worker.on("error", (error) => settle(error));
    worker.on("exit", (code) => settle(new Error(`the config load worker exited (${code})`)));
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
