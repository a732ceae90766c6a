import { once } from "node:events";
import { statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { type ConfigLoadResult, loadConfig } from "../../src/config/load.js";
import {
  type LoadWorker,
  loadConfigOffThread,
  workerSilenceBoundMs,
} from "../../src/config/load-off-thread.js";
import type { Config } from "../../src/config/types.js";
import { FakeTime } from "../support/time.js";
import { writeTemp } from "../support/tls-certs.js";
import { until } from "../support/until.js";

/**
 * The reload's worker thread is a convenience, never a condition: one that cannot start, breaks,
 * exits or goes silent is ended and the load is done on this thread, with the reason given.
 */
const HOST = { hostname: "test-host" };
const file = writeTemp(
  "fallback.yaml",
  [
    "global: { instance: jakarta-2 }",
    "targets:",
    "  - { id: portal, tcp: { host: 127.0.0.1, port: 9 } }",
    "  - { id: core-api, tcp: { host: 127.0.0.1, port: 10 } }",
    "",
  ].join("\n"),
);
const running = writeTemp(
  "running.yaml",
  "global: { instance: jakarta-1 }\ntargets: [{ id: portal, tcp: { host: 127.0.0.1, port: 9 } }]\n",
);

function configOf(result: ConfigLoadResult): Config {
  if (!result.ok) throw new Error(`not loaded: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** A real worker thread running `source` (plain JavaScript, no loader). */
const workerOf = (source: string) => new Worker(source, { eval: true });

const SILENT = "setInterval(() => undefined, 1000);";

describe("loadConfigOffThread falls back to this thread", { timeout: 60_000 }, () => {
  it.each([
    [
      "cannot start",
      (): LoadWorker => {
        throw new Error("no threads left");
      },
      { reason: "cannot_start", detail: "the config load worker could not start: no threads left" },
    ],
    [
      "throws",
      () => workerOf("throw new Error('broken on purpose');"),
      { reason: "failed", detail: "the config load worker failed: broken on purpose" },
    ],
    [
      "exits",
      () => workerOf("process.exit(3);"),
      { reason: "exited", detail: "the config load worker exited (3)" },
    ],
    [
      "ends with no config",
      () => workerOf("require('node:worker_threads').parentPort.postMessage({ kind: 'end' });"),
      { reason: "failed", detail: "the config load worker sent no config before its end" },
    ],
  ])(
    "when the worker %s: the load is loadConfig's, the reason given",
    async (_, startWorker, fallback) => {
      const runningConfig = configOf(await loadConfig(running, {}, HOST));
      const result = await loadConfigOffThread(
        file,
        {},
        HOST,
        { config: runningConfig, options: { listenOverridden: false } },
        { startWorker },
      );
      expect(result.fallback).toEqual(fallback);
      expect(result.loaded).toEqual(await loadConfig(file, {}, HOST));
      // compared with the running config here too: the instance cannot change on a reload
      expect(result.restartOnly.map((issue) => issue.path)).toEqual(["global.instance"]);
    },
  );

  /** A real worker running `source`, whose termination is noted on the fake clock. */
  function watchedWorker(time: FakeTime, source: string) {
    const watched: { worker: Worker | null; terminatedAt: number | null } = {
      worker: null,
      terminatedAt: null,
    };
    const startWorker = () => {
      const worker = workerOf(source);
      const terminate = worker.terminate.bind(worker);
      worker.terminate = () => {
        watched.terminatedAt ??= time.monotonic();
        return terminate();
      };
      watched.worker = worker;
      return worker;
    };
    return { watched, startWorker };
  }

  it("ends a worker that never answers once its silence bound has passed, not before", async () => {
    const time = new FakeTime();
    const { watched, startWorker } = watchedWorker(time, SILENT);
    const loading = loadConfigOffThread(file, {}, HOST, null, { timers: time, startWorker });
    await until(() => time.pendingTimers === 1, { what: "the silence bound to be armed" });
    const exited = once(watched.worker as Worker, "exit");
    const boundMs = workerSilenceBoundMs(statSync(file).size);
    await time.advance(boundMs - 1);
    expect(watched.terminatedAt).toBe(null);
    await time.advance(1);
    expect(watched.terminatedAt).toBe(boundMs);
    const result = await loading;
    expect(result.fallback).toEqual({
      reason: "silent",
      detail: `the config load worker did not answer within ${boundMs / 1000}s`,
    });
    expect(result.loaded).toEqual(await loadConfig(file, {}, HOST));
    // the thread itself is gone: one stuck for ever would otherwise hold the process open
    await exited;
  });

  it("counts the silence from the worker's last message: one stuck after its first is ended", async () => {
    const time = new FakeTime();
    const head = { kind: "config", config: { targets: [] }, restartOnly: [], withTls: [] };
    // its first message when the test says (a real thread's timing is not the fake clock's)
    const source = `const { parentPort } = require('node:worker_threads'); let sent = false;
      parentPort.on('message', () => { if (!sent) { sent = true; parentPort.postMessage(${JSON.stringify(head)}); } });`;
    const { watched, startWorker } = watchedWorker(time, source);
    const loading = loadConfigOffThread(file, {}, HOST, null, { timers: time, startWorker });
    await until(() => time.pendingTimers === 1, { what: "the silence bound to be armed" });
    const worker = watched.worker as Worker;
    const boundMs = workerSilenceBoundMs(statSync(file).size);
    await time.advance(boundMs - 1);
    const heard = once(worker, "message");
    worker.postMessage("go");
    await heard;
    // the message re-armed the bound: a whole bound from it, not from the start
    await time.advance(boundMs);
    expect(watched.terminatedAt).toBe(2 * boundMs - 1);
    expect((await loading).fallback?.reason).toBe("silent");
  });
});

describe("loadConfigOffThread abandoned (the daemon stops)", { timeout: 60_000 }, () => {
  it("ends a worker that is still loading at once, and throws the signal's reason", async () => {
    const time = new FakeTime();
    let started: Worker | null = null;
    let terminated = false;
    const startWorker = () => {
      const worker = workerOf(SILENT);
      const terminate = worker.terminate.bind(worker);
      worker.terminate = () => {
        terminated = true;
        return terminate();
      };
      started = worker;
      return worker;
    };
    const stopping = new AbortController();
    const loading = loadConfigOffThread(file, {}, HOST, null, {
      timers: time,
      startWorker,
      signal: stopping.signal,
    });
    await until(() => started !== null, { what: "the worker to start" });
    const exited = once(started as unknown as Worker, "exit");
    const reason = new Error("the daemon is stopping");
    stopping.abort(reason);
    await expect(loading).rejects.toBe(reason);
    expect(terminated).toBe(true);
    await exited;
    // no silence bound left behind
    expect(time.pendingTimers).toBe(0);
  });

  it("starts no worker once the signal is aborted", async () => {
    const stopping = new AbortController();
    const reason = new Error("the daemon is stopping");
    stopping.abort(reason);
    let starts = 0;
    const startWorker = () => {
      starts++;
      return workerOf(SILENT);
    };
    await expect(
      loadConfigOffThread(file, {}, HOST, null, { startWorker, signal: stopping.signal }),
    ).rejects.toBe(reason);
    expect(starts).toBe(0);
  });
});

describe("workerSilenceBoundMs", () => {
  it.each([
    [0, 60_000],
    [1, 80_000],
    [1024 * 1024, 80_000],
    [1024 * 1024 + 1, 100_000],
    [26 * 1024 * 1024, 580_000],
  ])("a file of %i bytes may keep the worker silent %i ms", (bytes, bound) => {
    expect(workerSilenceBoundMs(bytes)).toBe(bound);
  });
});
