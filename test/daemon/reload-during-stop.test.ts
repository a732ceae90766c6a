/**
 * A stop while a big reload is under way (SIGHUP, then SIGTERM): the reload is abandoned where
 * it stands — its worker ended while it parses, or between two slices while it applies — and
 * the stop does not wait for it, nor does the reload go on changing targets under a stopping
 * engine. In-process daemons on fake time, a reload from 10 targets to 20,000.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon/daemon.js";
import { bigConfigYaml } from "../support/big-config.js";
import { memoryLogger } from "../support/memory-log.js";
import { FakeTime } from "../support/time.js";
import { until } from "../support/until.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-reload-stop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TARGETS = 20_000;

async function startSmall(name: string) {
  const configFile = join(dir, `${name}.yaml`);
  const db = join(dir, `${name}.db`);
  writeFileSync(configFile, bigConfigYaml(10, db));
  const time = new FakeTime();
  const log = memoryLogger("info");
  const daemon = await Daemon.start({
    configFile,
    listen: "none",
    logger: log.logger,
    clock: time,
    timers: time,
    env: {},
  });
  // the next reload reads 20,000 targets
  writeFileSync(configFile, bigConfigYaml(TARGETS, db));
  return { daemon, log };
}

const abandonedLine = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => line.event === "reload" && line.abandoned === true);

describe("a stop during a big reload", () => {
  it("abandons a reload whose file is still being parsed", { timeout: 120_000 }, async () => {
    const { daemon, log } = await startSmall("parsing");
    const reload = daemon.reload();
    await daemon.stop();
    expect(await reload).toEqual({ ok: false, abandoned: true, issues: [] });
    expect(daemon.scheduler.size).toBe(10);
    expect(abandonedLine(log.lines)).toHaveLength(1);
  });

  it("abandons a reload between two slices of its application", { timeout: 120_000 }, async () => {
    const { daemon, log } = await startSmall("applying");
    const reload = daemon.reload();
    // the worker is done and the new targets are going in, a slice at a time
    await until(() => daemon.scheduler.size > 10, {
      what: "the reload to apply its first slice",
      timeoutMs: 100_000,
      intervalMs: 0,
    });
    await daemon.stop();
    expect(await reload).toEqual({ ok: false, abandoned: true, issues: [] });
    const applied = daemon.scheduler.size;
    expect(applied).toBeGreaterThan(10);
    expect(applied).toBeLessThan(TARGETS);
    expect(abandonedLine(log.lines)).toHaveLength(1);
    // and no "config reloaded" line: the config was never accepted
    expect(log.lines.filter((line) => line.event === "reload" && line.ok === true)).toEqual([]);
  });

  it("begins no reload asked for once the stop has begun", { timeout: 60_000 }, async () => {
    const { daemon, log } = await startSmall("after");
    await daemon.stop();
    expect(await daemon.reload()).toEqual({ ok: false, abandoned: true, issues: [] });
    expect(daemon.scheduler.size).toBe(10);
    expect(abandonedLine(log.lines)).toHaveLength(1);
  });
});
