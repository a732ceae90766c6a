import { execFileSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewTransition } from "../../src/ledger/ledger.js";
import { readRecoveryJournal, recoveryJournalPath } from "../../src/ledger/recovery-journal.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { DaemonProcess, type LogLine } from "../support/daemon-process.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";
import { type SwitchServer, startSwitchServer } from "../support/servers/switch.js";
import { until } from "../support/until.js";

/**
 * The ledger on a real full disk: a 2 MB tmpfs, filled by a ballast file. Mounting needs root
 * (the e2e environment has it); elsewhere the file is skipped with a message.
 */
const isRoot = process.getuid?.() === 0;
if (!isRoot) process.stdout.write("full-disk e2e skipped: mounting a 2 MB tmpfs needs root\n");

const TARGETS = 20;
const STOP_TIMEOUT_S = 10;

const outside = mkdtempSync(join(tmpdir(), "pantau-full-disk-"));
const disk = join(outside, "disk");
let server: SwitchServer;
/** Every daemon started here: killed before the disk is unmounted, however a test ended. */
const started: DaemonProcess[] = [];

beforeAll(async () => {
  if (!isRoot) return;
  mkdirSync(disk);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", disk]);
  server = await startSwitchServer();
});

afterAll(async () => {
  await server?.close();
  for (const daemon of started) {
    daemon.signal("SIGKILL");
    await daemon.exited();
  }
  if (isRoot) execFileSync("umount", [disk]);
  rmSync(outside, { recursive: true, force: true });
});

/** A fresh ledger on the empty disk, watching TARGETS targets of the switch server. */
function setUp(name: string): { config: string; db: string } {
  for (const file of readdirSync(disk)) rmSync(join(disk, file), { recursive: true });
  const db = join(disk, `${name}.db`);
  const config = join(outside, `${name}.yaml`);
  const targets = Array.from(
    { length: TARGETS },
    (_, i) => `  - { id: gate-${i}, http: { url: "${server.url}" } }`,
  );
  writeFileSync(
    config,
    [
      "global: { interval: 250ms, timeout: 200ms, failure_threshold: 1, success_threshold: 1,",
      `          instance: ${name} }`,
      `storage: { path: ${db}, heartbeat: 200ms }`,
      "targets:",
      ...targets,
      "",
    ].join("\n"),
  );
  return { config, db };
}

/** Fills the disk with a ballast file until ENOSPC; its path. */
function fillDisk(): string {
  const path = join(disk, "ballast");
  const fd = openSync(path, "w");
  try {
    for (const size of [65_536, 4096, 512, 64]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

const freeBytes = () => {
  const s = statfsSync(disk);
  return s.bavail * s.bsize;
};

function startDaemon(config: string): DaemonProcess {
  const daemon = new DaemonProcess([
    "run",
    "--config",
    config,
    "--listen",
    "127.0.0.1:0",
    "--stop-timeout",
    `${STOP_TIMEOUT_S}s`,
  ]);
  started.push(daemon);
  return daemon;
}

async function metricsOf(daemon: DaemonProcess) {
  const start = await daemon.waitFor((l) => l.event === "start");
  const response = await fetch(`http://${String(start.listen)}/metrics`);
  return parsePromText(await response.text());
}

const queueLength = async (daemon: DaemonProcess) =>
  sampleValue(await metricsOf(daemon), "pantau_ledger_queue_length");

/** Up, then the disk full and every target down: TARGETS transitions wait in the queue. */
async function fallOnFullDisk(daemon: DaemonProcess): Promise<string> {
  server.setUp(true);
  await until(() => daemon.lines.filter((l) => l.event === "transition").length === TARGETS, {
    what: "every target up",
    timeoutMs: 20_000,
  });
  const ballast = fillDisk();
  // heartbeats run the WAL into the full disk
  await daemon.waitFor((l) => l.event === "ledger_unwritable", 20_000);
  server.setUp(false);
  await until(async () => (await queueLength(daemon)) === TARGETS, {
    what: `${TARGETS} transitions queued`,
    timeoutMs: 20_000,
  });
  return ballast;
}

describe.skipIf(!isRoot)("a SQLite ledger on a full 2 MB disk", () => {
  it("drains the queue within seconds of space coming back, and keeps that space", async () => {
    const { config, db } = setUp("drain");
    const daemon = startDaemon(config);
    try {
      const ballast = await fallOnFullDisk(daemon);
      const freedAt = performance.now();
      unlinkSync(ballast);
      await until(async () => (await queueLength(daemon)) === 0, {
        what: "the queue to drain",
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      const drainSeconds = (performance.now() - freedAt) / 1000;
      const fallen = () =>
        daemon.lines.filter((l) => l.event === "transition" && l.to === "down").length;
      await until(() => fallen() === TARGETS, { what: "every fall logged" });
      const freedBytes = freeBytes();
      // the run filled the freed space again within ≈ 17 s (200 ms heartbeat): watch 20 s
      // of heartbeats and flapping targets
      let minFree = freedBytes;
      let maxWal = 0;
      const watchedFrom = daemon.lines.length;
      for (let i = 0; i < 40; i++) {
        if (i % 10 === 0) server.setUp(i % 20 !== 0);
        await sleep(500);
        minFree = Math.min(minFree, freeBytes());
        if (existsSync(`${db}-wal`)) maxWal = Math.max(maxWal, statSync(`${db}-wal`).size);
      }
      const later = daemon.lines.slice(watchedFrom);
      process.stdout.write(
        `full disk: queue of ${TARGETS} drained ${drainSeconds.toFixed(2)} s after space was freed; ` +
          `free ${freedBytes} B after the drain, at least ${minFree} B over the next 20 s; WAL at most ${maxWal} B\n`,
      );
      expect(drainSeconds).toBeLessThan(10);
      expect(later.filter((l) => l.event === "ledger_unwritable")).toEqual([]);
      expect(later.filter((l) => l.event === "transition").length).toBeGreaterThanOrEqual(TARGETS);
      // the heartbeat does not eat the freed room: within a few pages of it
      expect(freedBytes - minFree).toBeLessThan(64 * 1024);
      expect(maxWal).toBeLessThan(64 * 1024);
      daemon.signal("SIGTERM");
      expect(await daemon.exited()).toEqual({ code: 0, signal: null });
    } finally {
      daemon.signal("SIGKILL");
    }
  }, 120_000);

  it("ends a SIGTERM within its bound on the full disk, journals the queue, and the next start commits each transition once with its exact times", async () => {
    const { config, db } = setUp("journal");
    const first = startDaemon(config);
    let ballast: string;
    try {
      ballast = await fallOnFullDisk(first);
      const signalled = performance.now();
      first.signal("SIGTERM");
      const exit = await first.exited();
      const stopSeconds = (performance.now() - signalled) / 1000;
      process.stdout.write(
        `full disk: SIGTERM to exit ${stopSeconds.toFixed(2)} s (bound ${STOP_TIMEOUT_S} s), ${TARGETS} transitions journaled\n`,
      );
      expect(exit).toEqual({ code: 0, signal: null });
      expect(stopSeconds).toBeLessThan(STOP_TIMEOUT_S + 2);
      expect(first.lines.filter((l) => l.event === "stop")).toEqual([
        expect.objectContaining({ journaled: TARGETS, journal: recoveryJournalPath(db) }),
      ]);
    } finally {
      first.signal("SIGKILL");
    }
    const journal = readRecoveryJournal(db);
    const journaled = (journal?.lines ?? []).flatMap((l) =>
      l.kind === "transition" ? [l.transition] : [],
    );
    expect(journaled).toHaveLength(TARGETS);
    expect(journaled.every((t) => t.from === "up" && t.to === "down")).toBe(true);

    // space comes back; the next start commits the journal before it probes
    unlinkSync(ballast);
    const second = startDaemon(config);
    let recovery: LogLine;
    try {
      recovery = await second.waitFor((l) => l.event === "recovery");
      await second.waitFor((l) => l.event === "start");
      second.signal("SIGTERM");
      expect(await second.exited()).toEqual({ code: 0, signal: null });
    } finally {
      second.signal("SIGKILL");
    }
    expect(recovery).toEqual(expect.objectContaining({ committed: TARGETS, already_committed: 0 }));
    expect(second.lines.findIndex((l) => l.event === "recovery")).toBeLessThan(
      second.lines.findIndex((l) => l.event === "start"),
    );
    expect(existsSync(recoveryJournalPath(db))).toBe(false);
    const ledger = openSqliteLedger(db, { readonly: true });
    try {
      const falls = (await ledger.transitions({ instance: "journal" })).filter(
        (t) => t.to === "down",
      );
      const key = (t: NewTransition) => `${t.targetId}@${t.at}/${t.detectedAt}`;
      expect(falls.map(key).sort()).toEqual(journaled.map(key).sort());
      expect(new Set(falls.map((t) => t.targetId)).size).toBe(TARGETS);
    } finally {
      await ledger.close();
    }
  }, 120_000);
});
