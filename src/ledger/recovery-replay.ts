import { renameSync } from "node:fs";
import { isLedgerError, type LedgerErrorCode } from "./errors.js";
import type { AttributionChange, Gap, Ledger, NewTransition, PageSettlement } from "./ledger.js";
import {
  type JournalLine,
  type JournalRun,
  readRecoveryJournal,
  removeRecoveryJournal,
} from "./recovery-journal.js";

/**
 * Commits a recovery journal left by a stop on a full disk, before the new run starts: each
 * journaled run's transitions (with their attribution changes and page settlements) in one
 * transaction, its blind gaps, then its stop. Replay is idempotent: a transition the ledger
 * already holds (a replay that ended before the journal was removed) is not written again, and
 * the ledger's chain checks refuse anything that does not follow what it holds.
 */

export interface ReplaySummary {
  path: string;
  runs: number[];
  /** Transitions written now. */
  committed: number;
  /** Transitions the ledger already held. */
  alreadyCommitted: number;
  /** Torn lines skipped. */
  skippedLines: number;
  /** The ledger refused the journal: it was moved to `movedTo`, and what it held is not written. */
  refused: { error: string; movedTo: string; transitions: number } | null;
}

/** Errors the ledger will give again however often it is asked: the journal cannot be applied. */
const REFUSALS: readonly LedgerErrorCode[] = [
  "LEDGER_TRANSITION_CHAIN",
  "LEDGER_TRANSITION_ORDER",
  "LEDGER_INVALID",
  "LEDGER_FENCED",
  "LEDGER_RUN_STOPPED",
  "LEDGER_RUN_NOT_FOUND",
  "LEDGER_CORRUPT",
];

/**
 * Replays the journal beside `ledgerPath` into `ledger`, or returns null when there is none.
 * Throws what the ledger throws for a write that may succeed later (SQLITE_FULL): the journal is
 * kept, and the daemon must not start on top of it.
 */
export async function replayRecoveryJournal(
  ledger: Ledger,
  ledgerPath: string,
): Promise<ReplaySummary | null> {
  const journal = readRecoveryJournal(ledgerPath);
  if (journal === null) return null;
  const summary: ReplaySummary = {
    path: journal.path,
    runs: [],
    committed: 0,
    alreadyCommitted: 0,
    skippedLines: journal.skipped,
    refused: null,
  };
  const byRun = groupByRun(journal.lines);
  try {
    for (const [run, lines] of byRun) {
      summary.runs.push(run.runId);
      const { committed, alreadyCommitted } = await replayRun(ledger, run, lines);
      summary.committed += committed;
      summary.alreadyCommitted += alreadyCommitted;
    }
  } catch (error) {
    if (!REFUSALS.some((code) => isLedgerError(error, code))) throw error;
    const movedTo = `${journal.path}.refused`;
    renameSync(journal.path, movedTo);
    const transitions = journal.lines.filter((l) => l.kind === "transition").length;
    const message = error instanceof Error ? error.message : String(error);
    summary.refused = { error: message, movedTo, transitions };
    return summary;
  }
  removeRecoveryJournal(ledgerPath);
  return summary;
}

function groupByRun(lines: readonly JournalLine[]): Map<JournalRun, JournalLine[]> {
  const byId = new Map<number, { run: JournalRun; lines: JournalLine[] }>();
  for (const line of lines) {
    const group = byId.get(line.run.runId) ?? { run: line.run, lines: [] };
    group.lines.push(line);
    byId.set(line.run.runId, group);
  }
  return new Map([...byId.values()].map((g) => [g.run, g.lines]));
}

async function replayRun(
  ledger: Ledger,
  run: JournalRun,
  lines: readonly JournalLine[],
): Promise<{ committed: number; alreadyCommitted: number }> {
  const transitions: NewTransition[] = [];
  const attributions: AttributionChange[] = [];
  const settlements: PageSettlement[] = [];
  let stopAt: number | null = null;
  for (const line of lines) {
    if (line.kind === "transition") transitions.push(line.transition);
    else if (line.kind === "attribution") attributions.push(line.change);
    else if (line.kind === "settlement") settlements.push(line.settlement);
    else if (line.kind === "stop") stopAt = line.at;
  }
  const missing: NewTransition[] = [];
  for (const t of transitions) if (!(await holds(ledger, run.chain, t))) missing.push(t);
  const stored = (await ledger.runs({ instance: run.instance })).find((r) => r.id === run.runId);
  const stopped = stored !== undefined && stored.stoppedAt !== null;
  // a stopped run's changes were all committed before its stop was (the stop comes last)
  if (missing.length > 0 || (!stopped && (attributions.length > 0 || settlements.length > 0))) {
    await ledger.commit(run.runId, missing, attributions, settlements);
  }
  await replayGaps(ledger, run.chain, lines);
  if (stopAt !== null && !stopped) await ledger.stopRun(run.runId, stopAt);
  return { committed: missing.length, alreadyCommitted: transitions.length - missing.length };
}

/** Whether the ledger holds exactly this transition of the chain already. */
async function holds(ledger: Ledger, chain: string, t: NewTransition): Promise<boolean> {
  const query = { instance: chain, targetId: t.targetId, since: t.at, until: t.at + 1 };
  const same = await ledger.transitions(query);
  return same.some((s) => s.from === t.from && s.to === t.to && s.detectedAt === t.detectedAt);
}

/** Blind gaps: an open and its close in the journal are written as one closed gap. */
async function replayGaps(
  ledger: Ledger,
  chain: string,
  lines: readonly JournalLine[],
): Promise<void> {
  let opened = null as Gap | null;
  const flushOpened = async () => {
    if (opened !== null && !(await gapHeld(ledger, chain, opened))) await ledger.openGap(opened);
    opened = null;
  };
  for (const line of lines) {
    if (line.kind !== "gap") continue;
    const { gap } = line;
    if ("open" in gap) {
      await flushOpened();
      opened = gap.open;
    } else if (opened !== null) {
      opened = { ...opened, end: Math.max(gap.close, opened.start) };
      await flushOpened();
    } else if (gap.gapId !== null) {
      await closeCommittedGap(ledger, gap.gapId, gap.close);
    }
  }
  await flushOpened();
}

async function gapHeld(ledger: Ledger, chain: string, gap: Gap): Promise<boolean> {
  const held = await ledger.gaps({ instance: chain, since: gap.start, until: gap.start + 1 });
  return held.some((g) => g.kind === gap.kind && g.start === gap.start);
}

async function closeCommittedGap(ledger: Ledger, gapId: number, end: number): Promise<void> {
  try {
    await ledger.closeGap(gapId, end);
  } catch (error) {
    // closed by an earlier replay that ended before the journal was removed
    if (!isLedgerError(error, "LEDGER_GAP_CLOSED")) throw error;
  }
}
