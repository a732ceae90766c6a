import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Daemon } from "../../src/daemon/daemon.js";
import { createLogger } from "../../src/log/logger.js";
import { bigConfigYaml } from "../support/big-config.js";
import { watchEventLoop } from "../support/loop-watch.js";
import { FakeTime } from "../support/time.js";
import { envList } from "./env.js";
import { printTable } from "./table.js";

/**
 * A reload of a big config: an in-process daemon (timers on fake time, so no probe runs and
 * only the reload is measured) starts on N generated targets, then reloads to a revision that
 * adds, changes and removes ~1 % each. Per N: the config's size, how long the reload took, and
 * the longest event-loop block meanwhile (the longest gap between ticks of a 10 ms interval
 * timer; the same over 3 s idle before it), with the load average (the machine is shared).
 */
export async function reloadBench(): Promise<void> {
  const sizes = envList("BENCH_RELOAD_TARGETS", [10_000, 40_000, 160_000], [2_000, 10_000]);
  const rows: string[][] = [];
  for (const count of sizes) {
    const row = await reloadRow(count);
    process.stderr.write(`reload ${row.join(" | ")}\n`);
    rows.push(row);
  }
  printTable(
    `Reload of a big config (node ${process.versions.node})`,
    [
      "targets",
      "config",
      "start",
      "reload",
      "longest gap of a 10 ms timer, idle",
      "longest gap of a 10 ms timer, reloading",
      "load avg",
    ],
    rows,
  );
}

async function reloadRow(count: number): Promise<string[]> {
  mkdirSync(join(tmpdir(), "pantau-bench"), { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), "pantau-bench", `reload-${count}-`));
  const configFile = join(dir, "pantau.yaml");
  const db = join(dir, "ledger.db");
  writeFileSync(configFile, bigConfigYaml(count, db));
  const time = new FakeTime();
  const startedAt = performance.now();
  const daemon = await Daemon.start({
    configFile,
    listen: "none",
    logger: createLogger({ level: "warn", pretty: false }),
    clock: time,
    timers: time,
    env: {},
  });
  const startMs = performance.now() - startedAt;
  try {
    const next = bigConfigYaml(count, db, 1);
    writeFileSync(configFile, next);
    // the machine's own hiccups (a shared, loaded machine), for comparison
    const idleWatch = watchEventLoop(10);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const idle = idleWatch.stop();
    const watch = watchEventLoop(10);
    const reloadStarted = performance.now();
    const outcome = await daemon.reload();
    const reloadMs = performance.now() - reloadStarted;
    const block = watch.stop();
    if (!outcome.ok) throw new Error(`the reload was rejected: ${JSON.stringify(outcome.issues)}`);
    return [
      count.toLocaleString("en"),
      `${(Buffer.byteLength(next) / 2 ** 20).toFixed(1)} MiB`,
      `${(startMs / 1000).toFixed(1)} s`,
      `${(reloadMs / 1000).toFixed(1)} s`,
      `${idle.maxGapMs.toFixed(0)} ms`,
      `${block.maxGapMs.toFixed(0)} ms`,
      loadavg()
        .map((load) => load.toFixed(1))
        .join(" "),
    ];
  } finally {
    // a stop that fails is the stop path's finding, not this measure's: say it, go on
    await daemon.stop().catch((error: unknown) => {
      process.stderr.write(
        `reload bench: the daemon on ${count} targets failed to stop: ${String(error)}\n`,
      );
    });
  }
}
