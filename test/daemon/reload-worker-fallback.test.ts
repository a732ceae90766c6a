import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { workerSilenceBoundMs } from "../../src/config/load-off-thread.js";
import type { ReloadOutcome } from "../../src/daemon/daemon.js";
import { type DaemonOnFakeTime, startOnFakeTime } from "../support/daemon-on-fake-time.js";
import { memoryLogger } from "../support/memory-log.js";
import { until } from "../support/until.js";

/**
 * A reload whose worker thread breaks or never answers still applies the new config (loaded on
 * the main thread) and says so in a warn line. The daemon is the real one, in-process on fake
 * time; only its worker thread is swapped for a real thread that breaks or stays silent.
 */
const worker = vi.hoisted(() => ({
  behaviour: "throws" as "throws" | "silent",
  started: 0,
  terminated: 0,
}));

vi.mock("node:worker_threads", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:worker_threads")>();
  const sources = {
    throws: "throw new Error('broken on purpose');",
    silent: "setInterval(() => undefined, 1000);",
  };
  class StandInWorker extends real.Worker {
    constructor() {
      super(sources[worker.behaviour], { eval: true });
      worker.started += 1;
    }

    override terminate(): Promise<number> {
      worker.terminated += 1;
      return super.terminate();
    }
  }
  return { ...real, Worker: StandInWorker };
});

const dir = mkdtempSync(join(tmpdir(), "pantau-reload-fallback-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeTargets(config: string, ids: string[]): void {
  const targets = ids.map((id, i) => `  - { id: ${id}, tcp: { host: 127.0.0.1, port: ${i + 1} } }`);
  writeFileSync(
    config,
    [
      "global: { interval: 1h, instance: jakarta-1 }",
      `storage: { path: "${config}.db" }`,
      "targets:",
      ...targets,
      "",
    ].join("\n"),
  );
}

async function stopOnFakeTime({ daemon, time }: DaemonOnFakeTime): Promise<void> {
  let stopped = false;
  void daemon.stop().finally(() => {
    stopped = true;
  });
  for (let i = 0; i < 200 && !stopped; i++) await time.advance(250);
}

describe("a reload whose load worker fails", { timeout: 60_000 }, () => {
  it.each([
    ["throws", "failed", "the config load worker failed: broken on purpose"],
    ["never answers", "silent", null],
  ] as const)(
    "applies the new config when the worker %s, with a warn line",
    async (_, reason, detail) => {
      worker.behaviour = reason === "silent" ? "silent" : "throws";
      const config = join(dir, `${reason}.yaml`);
      writeTargets(config, ["portal"]);
      const log = memoryLogger("info");
      const running = await startOnFakeTime(
        { configFile: config, logger: log.logger, listen: "none" },
        { stepMs: 1000 },
      );
      try {
        writeTargets(config, ["portal", "core-api"]);
        let outcome: ReloadOutcome | null = null;
        const before = { ...worker };
        const reloading = running.daemon.reload().then((result) => {
          outcome = result;
        });
        const boundMs = workerSilenceBoundMs(statSync(config).size);
        if (reason === "silent") {
          // the bound is armed as the worker starts
          await until(() => worker.started === before.started + 1, { what: "the worker to start" });
          await running.time.advance(boundMs - 1);
          expect(worker.terminated).toBe(before.terminated);
          await running.time.advance(1);
          expect(worker.terminated).toBe(before.terminated + 1);
        }
        await reloading;
        expect(outcome).toEqual({ ok: true, added: ["core-api"], changed: [], removed: [] });
        expect(running.daemon.currentConfig.targets.map((t) => t.id)).toEqual([
          "portal",
          "core-api",
        ]);
        const expectedDetail =
          detail ?? `the config load worker did not answer within ${boundMs / 1000}s`;
        expect(
          log.lines.filter((line) => line.event?.toString().startsWith("reload")),
        ).toMatchObject([
          {
            level: 40,
            event: "reload_fallback",
            reason,
            error: expectedDetail,
            msg: "the config load worker did not do the load: loaded on the main thread",
          },
          { event: "reload", ok: true, added: ["core-api"] },
        ]);
      } finally {
        await stopOnFakeTime(running);
      }
    },
  );
});
