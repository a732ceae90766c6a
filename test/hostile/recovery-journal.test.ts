/**
 * Hostile recovery journals: damaged, hand-edited or forged lines beside the ledger. A start
 * must never commit a line that is not a whole record the ledger accepts, never crash on one,
 * and never refuse to start for ever because of one: a line that is not a record is skipped;
 * a record the ledger refuses sets the journal aside (kept, named in the log; a run of it the
 * ledger took before, in its own transaction, stays).
 */
import { appendFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recoveryJournalPath, writeRecoveryJournal } from "../../src/ledger/recovery-journal.js";
import { replayRecoveryJournal } from "../../src/ledger/recovery-replay.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { transition } from "../ledger/contract.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-hostile-journal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUN = { runId: 1, instance: "jakarta-1", chain: "jakarta-1" };
const line = (record: Record<string, unknown>, run: unknown = RUN) =>
  JSON.stringify({ v: 1, run, ...record });
const fall = (fields: Record<string, unknown> = {}) =>
  line({
    kind: "transition",
    transition: { ...transition("portal", "up", "down", 2000), ...fields },
  });

/** Lines that are not a whole record: skipped, the rest of the journal committed. */
const NOT_RECORDS: [string, string][] = [
  ["not JSON", "}{"],
  ["JSON null", "null"],
  ["an array", "[1,2,3]"],
  ["another version", JSON.stringify({ v: 2, run: RUN, kind: "stop", at: 5 })],
  ["a run id as a string", line({ kind: "stop", at: 5 }, { ...RUN, runId: "1" })],
  ["no run", JSON.stringify({ v: 1, kind: "stop", at: 5 })],
  ["an unknown kind", line({ kind: "drop_table", at: 5 })],
  ["a transition without at", fall({ at: undefined })],
  ["a transition at Infinity", fall({}).replace('"at":2000', '"at":1e999')],
  ["a transition as a string", line({ kind: "transition", transition: "portal up->down" })],
  ["a stop without a time", line({ kind: "stop", at: "soon" })],
  ["a gap of nothing", line({ kind: "gap", gap: {} })],
  ["a prototype key", '{"v":1,"__proto__":{"kind":"stop"},"run":{"runId":1}}'],
  ["a megabyte of garbage", "x".repeat(1 << 20)],
];

/** Whole records the ledger refuses: the journal is set aside, the refused run not committed. */
const REFUSED: [string, string, RegExp][] = [
  ["an unknown state", fall({ to: "sideways" }), /^LEDGER_INVALID: unknown state/],
  ["a chain that does not follow", fall({ from: "down", to: "up" }), /^LEDGER_TRANSITION_CHAIN/],
  [
    "a run that does not exist",
    line({ kind: "stop", at: 9000 }, { ...RUN, runId: 99 }),
    /^LEDGER_RUN_NOT_FOUND/,
  ],
  ["a time before the target's last", fall({ at: 500 }), /^LEDGER_TRANSITION_ORDER/],
];

let n = 0;
async function ledgerWithJournal(hostile: string) {
  const path = join(dir, `ledger-${n++}.db`);
  const ledger = openSqliteLedger(path);
  const { run } = await ledger.startRun("jakarta-1", 1000);
  await ledger.commit(run.id, [
    transition("portal", "unknown", "up", 1000),
    transition("simkim-core", "unknown", "up", 1000),
  ]);
  writeRecoveryJournal(path, RUN, [
    { kind: "transition", transition: transition("simkim-core", "up", "down", 2000) },
  ]);
  appendFileSync(recoveryJournalPath(path), `${hostile}\n`);
  return { path, ledger };
}

describe("a hostile recovery journal", () => {
  it.each(NOT_RECORDS)("skips %s and commits the rest", async (_name, hostile) => {
    const { path, ledger } = await ledgerWithJournal(hostile);
    const summary = await replayRecoveryJournal(ledger, path);
    expect(summary).toMatchObject({ committed: 1, skippedLines: 1, refused: null });
    const stored = await ledger.transitions({ instance: "jakarta-1" });
    expect(stored.map((t) => `${t.targetId}:${t.to}`)).toEqual([
      "portal:up",
      "simkim-core:up",
      "simkim-core:down",
    ]);
    expect(existsSync(recoveryJournalPath(path))).toBe(false);
    await ledger.close();
  });

  it.each(REFUSED)("sets the journal aside for %s", async (_name, hostile, error) => {
    const { path, ledger } = await ledgerWithJournal(hostile);
    const summary = await replayRecoveryJournal(ledger, path);
    expect(summary?.refused?.error).toMatch(error);
    expect(existsSync(`${recoveryJournalPath(path)}.refused`)).toBe(true);
    expect(existsSync(recoveryJournalPath(path))).toBe(false);
    await ledger.close();
  });
});
