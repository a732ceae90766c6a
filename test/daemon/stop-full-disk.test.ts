import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Daemon } from "../../src/daemon/daemon.js";
import { StopLossError } from "../../src/daemon/stop-journal.js";
import type { NewTransition } from "../../src/ledger/ledger.js";
import {
  readRecoveryJournal,
  recoveryJournalPath,
  recoveryReservePath,
} from "../../src/ledger/recovery-journal.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { startOnFakeTime } from "../support/daemon-on-fake-time.js";
import { connectionOf, fillLedger } from "../support/full-ledger.js";
import { memoryLogger } from "../support/memory-log.js";
import { startSwitchServer } from "../support/servers/switch.js";
import type { FakeTime } from "../support/time.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-stop-full-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TARGETS = ["simkim-core", "portal", "autogate-cgk"];

function writeConfig(name: string, url: string): { config: string; db: string } {
  const config = join(dir, `${name}.yaml`);
  const db = join(dir, `${name}.db`);
  writeFileSync(
    config,
    [
      `global: { interval: 100ms, timeout: 80ms, failure_threshold: 2, instance: ${name} }`,
      `storage: { path: ${db}, heartbeat: 100ms }`,
      "targets:",
      ...TARGETS.map((id) => `  - { id: ${id}, http: { url: "${url}" } }`),
      "",
    ].join("\n"),
  );
  return { config, db };
}

/** Stops the daemon, moving fake time on until the stop settles: how long it took, and how. */
async function stopOnFakeTime(daemon: Daemon, time: FakeTime) {
  const began = time.monotonic();
  let outcome: { error: unknown } | null = null;
  daemon.stop().then(
    () => {
      outcome = { error: null };
    },
    (error: unknown) => {
      outcome = { error };
    },
  );
  for (let i = 0; i < 200 && outcome === null; i++) await time.advance(250);
  return { tookMs: time.monotonic() - began, outcome: outcome as { error: unknown } | null };
}

/** Runs until every target's fall is decided and queued behind the full ledger. */
async function fallBehindFullLedger(name: string) {
  const server = await startSwitchServer();
  const { config, db } = writeConfig(name, server.url);
  const log = memoryLogger("info");
  const fake = await startOnFakeTime(
    { configFile: config, logger: log.logger, listen: "none" },
    { stepMs: 50 },
  );
  const { daemon } = fake;
  await fake.until(
    async () => (await daemon.ledger.transitions({ instance: name })).length === TARGETS.length,
    { what: "every target up" },
  );
  fillLedger(connectionOf(daemon));
  server.setUp(false);
  await fake.until(() => daemon.engine.pendingCount === TARGETS.length, {
    what: "every fall queued",
  });
  return { server, config, db, log, fake };
}

describe("a SIGTERM while the ledger is full", () => {
  it("ends within its bound, journals every uncommitted transition, and the next start commits each once with its exact times", async () => {
    const { server, config, db, log, fake } = await fallBehindFullLedger("journaled");
    const { tookMs, outcome } = await stopOnFakeTime(fake.daemon, fake.time);
    expect(outcome).toEqual({ error: null });
    // the whole bound is spent retrying (the ledger might take it in time), and no more
    expect(tookMs).toBeGreaterThanOrEqual(29_000);
    expect(tookMs).toBeLessThanOrEqual(30_000);
    const journal = readRecoveryJournal(db);
    const lines = journal?.lines ?? [];
    const journaled = lines.flatMap((l) => (l.kind === "transition" ? [l.transition] : []));
    expect(journaled.map((t) => `${t.targetId}:${t.from}->${t.to}`).sort()).toEqual(
      TARGETS.map((id) => `${id}:up->down`).sort(),
    );
    const stop = lines.at(-1);
    expect(stop?.kind).toBe("stop");
    expect(existsSync(recoveryReservePath(db))).toBe(false);
    expect(log.lines.filter((l) => l.event === "stop")).toEqual([
      expect.objectContaining({ level: 40, journaled: 3, journal: recoveryJournalPath(db) }),
    ]);

    // space is back: the next start commits the journal before its run starts
    const again = memoryLogger("info");
    const next = await startOnFakeTime(
      { configFile: config, logger: again.logger, listen: "none" },
      { stepMs: 50, startAt: fake.time.now() + 60_000 },
    );
    await next.daemon.stop();
    await server.close();
    expect(existsSync(recoveryJournalPath(db))).toBe(false);
    expect(existsSync(recoveryReservePath(db))).toBe(true);
    expect(again.lines.filter((l) => l.event === "recovery")).toEqual([
      expect.objectContaining({ committed: 3, already_committed: 0 }),
    ]);
    const ledger = openSqliteLedger(db, { readonly: true });
    try {
      const stored = await ledger.transitions({ instance: "journaled" });
      const falls = stored.filter((t) => t.to === "down");
      const key = (t: NewTransition) => `${t.targetId}@${t.at}/${t.detectedAt}`;
      expect(falls.map(key).sort()).toEqual(journaled.map(key).sort());
      // committed as the stopped run's, which stopped when the journal says
      const runs = await ledger.runs({ instance: "journaled" });
      expect(falls.every((t) => t.runId === runs[0]?.id)).toBe(true);
      expect(runs[0]?.stoppedAt).toBe(stop?.kind === "stop" ? stop.at : null);
      // the restart gap runs from that stop, not from a heartbeat the full disk refused
      const gaps = await ledger.gaps({ instance: "journaled" });
      expect(gaps.map((g) => [g.kind, g.start, g.end])).toEqual([
        ["restart", runs[0]?.stoppedAt, runs[1]?.startedAt],
      ]);
      const outages = await ledger.outages({ instance: "journaled" });
      expect(outages.map((o) => `${o.targetId}@${o.start}`).sort()).toEqual(
        falls.map((t) => `${t.targetId}@${t.at}`).sort(),
      );
    } finally {
      await ledger.close();
    }
  }, 60_000);

  it("logs the count lost when the journal cannot be written either, and still ends within its bound with an error", async () => {
    const { server, db, log, fake } = await fallBehindFullLedger("lost");
    // where the journal would go cannot be a file
    mkdirSync(recoveryJournalPath(db));
    const { tookMs, outcome } = await stopOnFakeTime(fake.daemon, fake.time);
    await server.close();
    expect(tookMs).toBeLessThanOrEqual(30_000);
    expect(outcome?.error).toBeInstanceOf(StopLossError);
    expect((outcome?.error as StopLossError | undefined)?.lost).toBe(3);
    const [line] = log.lines.filter((l) => l.event === "stop");
    expect(line).toEqual(expect.objectContaining({ level: 50, lost: 3 }));
    expect(line?.msg).toMatch(
      /^3 transitions LOST: the ledger did not take them and the recovery journal could not be written \(EISDIR: /,
    );
  }, 60_000);
});
