import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import {
  type JournalRecord,
  keepReserve,
  RECOVERY_RESERVE_BYTES,
  readRecoveryJournal,
  recoveryJournalPath,
  recoveryReservePath,
  writeRecoveryJournal,
} from "../../src/ledger/recovery-journal.js";
import { replayRecoveryJournal } from "../../src/ledger/recovery-replay.js";
import { openSqliteLedger, type SqliteLedger } from "../../src/ledger/sqlite.js";
import { fillLedger } from "../support/full-ledger.js";
import { transition } from "./contract.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-recovery-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A ledger with a run whose targets are up, as a stop on a full disk would leave it. */
async function ledgerWithRun() {
  const path = join(dir, `ledger-${n++}.db`);
  const ledger = openSqliteLedger(path);
  const { run } = await ledger.startRun("jakarta-1", 1000);
  await ledger.commit(run.id, [
    transition("simkim-core", "unknown", "up", 1100),
    transition("portal", "unknown", "up", 1100),
  ]);
  const journalRun = { runId: run.id, instance: "jakarta-1", chain: "jakarta-1" };
  return { path, ledger, run, journalRun };
}

/** What the queue held: both targets fell, one came back; the run stopped at 9000. */
const PENDING: JournalRecord[] = [
  { kind: "transition", transition: transition("simkim-core", "up", "down", 2000) },
  { kind: "transition", transition: transition("portal", "up", "down", 2000) },
  { kind: "transition", transition: transition("simkim-core", "down", "up", 5000) },
  { kind: "attribution", change: { targetId: "portal", at: 2000, blockedBy: "simkim-core" } },
  { kind: "gap", gap: { open: { instance: "jakarta-1", kind: "blind", start: 3000, end: null } } },
  { kind: "gap", gap: { close: 4000, gapId: null } },
  { kind: "stop", at: 9000 },
];

const summaryOf = (ledger: SqliteLedger) =>
  ledger
    .transitions({ instance: "jakarta-1" })
    .then((ts) => ts.map((t) => `${t.targetId}:${t.from}->${t.to}@${t.at}/${t.detectedAt}`));

describe("the recovery journal", () => {
  it("is one JSON line per record, fsynced, appended, and read back whole", async () => {
    const { path, ledger, journalRun } = await ledgerWithRun();
    await ledger.close();
    const written = writeRecoveryJournal(path, journalRun, PENDING);
    expect(written).toEqual({
      path: recoveryJournalPath(path),
      written: 7,
      lost: 0,
      error: null,
    });
    const text = readFileSync(recoveryJournalPath(path), "utf8");
    expect(text.split("\n")).toHaveLength(8);
    expect(JSON.parse(text.split("\n")[0]!)).toEqual({ v: 1, run: journalRun, ...PENDING[0] });
    // a torn last line (the disk filled up mid-line) is skipped, the whole ones kept
    appendFileSync(recoveryJournalPath(path), '{"v":1,"run":{"runId":1},"kind":"transi');
    const read = readRecoveryJournal(path);
    expect(read?.lines.map(({ v: _v, run: _run, ...record }) => record)).toEqual(PENDING);
    expect(read?.skipped).toBe(1);
  });

  it("uses the reserve kept for it: the reserve is deleted first, so its room is the journal's", async () => {
    const { path, ledger, journalRun } = await ledgerWithRun();
    await ledger.close();
    expect(keepReserve(path)).toBeNull();
    expect(statSync(recoveryReservePath(path)).size).toBe(RECOVERY_RESERVE_BYTES);
    writeRecoveryJournal(path, journalRun, PENDING);
    expect(existsSync(recoveryReservePath(path))).toBe(false);
  });

  it("says how much it lost when it cannot be written", async () => {
    const { path, ledger, journalRun } = await ledgerWithRun();
    await ledger.close();
    mkdirSync(recoveryJournalPath(path));
    const result = writeRecoveryJournal(path, journalRun, PENDING);
    expect(result).toMatchObject({ written: 0, lost: 7 });
    expect(result.error?.message).toMatch(/^EISDIR: illegal operation on a directory/);
  });
});

describe("replaying the recovery journal", () => {
  it("commits the run's transitions, attributions and gaps, records its stop, and removes the journal", async () => {
    const { path, ledger, run, journalRun } = await ledgerWithRun();
    writeRecoveryJournal(path, journalRun, PENDING);
    const summary = await replayRecoveryJournal(ledger, path);
    expect(summary).toMatchObject({ committed: 3, alreadyCommitted: 0, refused: null });
    expect(await summaryOf(ledger)).toEqual([
      "simkim-core:unknown->up@1100/1130",
      "portal:unknown->up@1100/1130",
      "simkim-core:up->down@2000/2030",
      "portal:up->down@2000/2030",
      "simkim-core:down->up@5000/5030",
    ]);
    const [outage] = await ledger.outages({ instance: "jakarta-1", targetId: "portal" });
    expect(outage).toMatchObject({ start: 2000, end: null, blockedBy: "simkim-core" });
    expect(await ledger.gaps({ instance: "jakarta-1" })).toEqual([
      { instance: "jakarta-1", kind: "blind", start: 3000, end: 4000 },
    ]);
    const [stored] = await ledger.runs({ instance: "jakarta-1" });
    expect(stored).toMatchObject({ id: run.id, stoppedAt: 9000, lastHeartbeat: 9000 });
    expect(existsSync(recoveryJournalPath(path))).toBe(false);
    // the next run's restart gap starts at the journaled stop
    const next = await ledger.startRun("jakarta-1", 20_000);
    expect(next.gap).toMatchObject({ start: 9000, end: 20_000 });
    await ledger.close();
  });

  it("is idempotent: a replay that ended before the journal was removed commits nothing twice", async () => {
    const { path, ledger, journalRun } = await ledgerWithRun();
    writeRecoveryJournal(path, journalRun, PENDING);
    const journal = readFileSync(recoveryJournalPath(path));
    await replayRecoveryJournal(ledger, path);
    const once = await summaryOf(ledger);
    // the same journal again, as if the process had died before removing it
    appendFileSync(recoveryJournalPath(path), journal);
    const summary = await replayRecoveryJournal(ledger, path);
    expect(summary).toMatchObject({ committed: 0, alreadyCommitted: 3, refused: null });
    expect(await summaryOf(ledger)).toEqual(once);
    expect(await ledger.gaps({ instance: "jakarta-1" })).toHaveLength(1);
    await ledger.close();
  });

  it("keeps the journal and throws while the ledger still cannot take it", async () => {
    const { path, ledger, journalRun } = await ledgerWithRun();
    writeRecoveryJournal(path, journalRun, PENDING);
    fillLedger((ledger as unknown as { db: Database.Database }).db);
    await expect(replayRecoveryJournal(ledger, path)).rejects.toMatchObject({
      code: "SQLITE_FULL",
    });
    expect(readRecoveryJournal(path)?.lines).toHaveLength(7);
    await ledger.close();
  });

  it("moves aside a journal the ledger refuses, and says so", async () => {
    const { path, ledger, journalRun } = await ledgerWithRun();
    // down→up of a target the ledger has up: it does not follow the chain
    writeRecoveryJournal(path, journalRun, [
      { kind: "transition", transition: transition("portal", "down", "up", 2000) },
      { kind: "stop", at: 3000 },
    ]);
    const summary = await replayRecoveryJournal(ledger, path);
    expect(summary?.refused).toMatchObject({
      movedTo: `${recoveryJournalPath(path)}.refused`,
      transitions: 1,
    });
    expect(summary?.refused?.error).toMatch(/^LEDGER_TRANSITION_CHAIN: portal: down→up/);
    expect(existsSync(recoveryJournalPath(path))).toBe(false);
    expect(existsSync(`${recoveryJournalPath(path)}.refused`)).toBe(true);
    await ledger.close();
  });

  it("does nothing without a journal", async () => {
    const { path, ledger } = await ledgerWithRun();
    expect(await replayRecoveryJournal(ledger, path)).toBeNull();
    await ledger.close();
  });
});
