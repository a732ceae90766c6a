import { chainOf } from "../config/reload-diff.js";
import type { Config } from "../config/types.js";
import type { Engine } from "../engine/engine.js";
import { describeLedgerError } from "../engine/ledger-trouble.js";
import { DEFAULTS } from "../fields/defaults.js";
import { isLedgerError } from "../ledger/errors.js";
import type { InstanceLock } from "../ledger/instance-lock.js";
import type { Ledger, Run } from "../ledger/ledger.js";
import {
  type JournalRecord,
  keepReserve,
  recoveryJournalPath,
  writeRecoveryJournal,
} from "../ledger/recovery-journal.js";
import { replayRecoveryJournal } from "../ledger/recovery-replay.js";
import type { Logger } from "../log/logger.js";
import type { Clock } from "../time/clock.js";
import { StartError } from "./options.js";

/**
 * The two ends of a stop on a full disk: the stop commits what it can within its bound and
 * journals the rest beside the SQLite ledger; the next start commits the journal first.
 */

/** A stop left transitions neither committed nor journaled: the process must exit non-zero. */
export class StopLossError extends Error {
  override readonly name = "StopLossError";
  constructor(
    readonly lost: number,
    message: string,
  ) {
    super(message);
  }
}

/** The SQLite file a journal sits beside; null for PostgreSQL or an in-memory ledger. */
export function journaledLedgerPath(config: Config): string | null {
  if (config.storage.url !== null) return null;
  const path = config.storage.path ?? DEFAULTS.storagePath;
  return path === ":memory:" ? null : path;
}

/**
 * Commits a journal left by the last stop, before this run starts; then keeps the room for the
 * next one. A journal the ledger cannot take yet (still no space) stops the start: the daemon
 * must not decide on top of transitions it has not recorded.
 */
export async function recoverBeforeStart(
  config: Config,
  ledger: Ledger,
  lock: InstanceLock | null,
  logger: Logger,
): Promise<void> {
  const path = journaledLedgerPath(config);
  if (path === null) return;
  let summary: Awaited<ReturnType<typeof replayRecoveryJournal>>;
  try {
    summary = await replayRecoveryJournal(ledger, path);
  } catch (error) {
    await ledger.close();
    lock?.release();
    const journal = recoveryJournalPath(path);
    const why = describeLedgerError(error);
    throw new StartError(
      `cannot commit the recovery journal ${journal} (${why}); free space beside the ledger and start again`,
      1,
    );
  }
  if (summary?.refused) {
    const { refused } = summary;
    logger.error(
      {
        event: "recovery",
        journal: summary.path,
        refused: refused.transitions,
        moved_to: refused.movedTo,
        error: refused.error,
      },
      `the ledger refused the recovery journal: ${refused.transitions} transitions not recorded (kept in ${refused.movedTo})`,
    );
  } else if (summary) {
    logger.info(
      {
        event: "recovery",
        journal: summary.path,
        runs: summary.runs,
        committed: summary.committed,
        already_committed: summary.alreadyCommitted,
        torn_lines: summary.skippedLines,
      },
      `committed ${summary.committed} transitions from the recovery journal`,
    );
  }
  const reserve = keepReserve(path);
  if (reserve) {
    logger.warn(
      { event: "recovery_reserve", error: describeLedgerError(reserve) },
      "no room kept for a recovery journal: a stop on a full disk may lose what it cannot commit",
    );
  }
}

export interface StopWithJournal {
  config: Config;
  ledger: Ledger;
  engine: Engine;
  run: Run;
  clock: Clock;
  logger: Logger;
  /** Time left for the stop. */
  withinMs: number;
  /** Runs once the queue is committed or given up, before the run's stop is recorded. */
  beforeStopRun(): Promise<void>;
}

/**
 * Commits the queue within the bound and records the clean stop; what the ledger will not take
 * (and a stop it will not record) goes to the journal. Rejects with StopLossError when even the
 * journal cannot be written.
 */
export async function stopWithJournal(stop: StopWithJournal): Promise<void> {
  const { engine, ledger, run, clock, logger } = stop;
  const committed = await engine.drain(stop.withinMs);
  const records: JournalRecord[] = committed ? [] : await engine.takeUncommitted();
  await stop.beforeStopRun();
  const stopAt = clock.now();
  if (committed) {
    try {
      await ledger.stopRun(run.id, stopAt);
      logger.info({ event: "stop", run: run.id }, "pantau stopped cleanly");
      return;
    } catch (error) {
      // refused (the run was stopped): nothing a journal could fix
      if (isLedgerError(error)) throw error;
    }
  }
  journal(stop, [...records, { kind: "stop", at: stopAt }]);
}

function journal(stop: StopWithJournal, records: JournalRecord[]): void {
  const { config, run, logger } = stop;
  const transitions = (list: readonly JournalRecord[]) =>
    list.filter((r) => r.kind === "transition").length;
  const path = journaledLedgerPath(config);
  const journalRun = { runId: run.id, instance: run.instance, chain: chainOf(config) };
  const result = path === null ? null : writeRecoveryJournal(path, journalRun, records);
  if (result !== null && result.lost === 0) {
    logger.warn(
      { event: "stop", run: run.id, journaled: transitions(records), journal: result.path },
      `pantau stopped: ${transitions(records)} transitions the ledger did not take are in the recovery journal; the next start commits them first`,
    );
    return;
  }
  const lost = transitions(records.slice(result?.written ?? 0));
  const why = result?.error ? describeLedgerError(result.error) : "no journal beside this ledger";
  logger.error(
    { event: "stop", run: run.id, lost, journal: result?.path ?? null, error: why },
    `${lost} transitions LOST: the ledger did not take them and the recovery journal could not be written (${why})`,
  );
  throw new StopLossError(lost, `${lost} transitions lost on stop (${why})`);
}
