/** What the engine writes to the ledger besides transitions, tracked apart (one may fail alone). */
export type LedgerOperation = "commit" | "heartbeat" | "push";

/** Why the ledger is not writable, for /-/ready and the logs. */
export interface LedgerTroubleStatus {
  /** Wall time of the first failure of this episode. */
  since: number;
  /** The last error, `CODE: message`. */
  error: string;
  /** Operations failing now. */
  operations: LedgerOperation[];
}

/** One warning's worth: what failed since the last one. */
export interface LedgerTroubleReport extends LedgerTroubleStatus {
  /** Failed writes since the previous report (the first report: 1). */
  failures: number;
}

export interface LedgerRecoveryReport {
  since: number;
  /** Wall time of the write that ended the episode. */
  at: number;
  /** Failed writes over the whole episode. */
  failures: number;
}

/** A write failed for want of space: SQLite's SQLITE_FULL, or the file system's ENOSPC. */
export function isNoSpace(error: unknown): boolean {
  if (!(error instanceof Error) || !("code" in error)) return false;
  return error.code === "SQLITE_FULL" || error.code === "ENOSPC";
}

/** `SQLITE_FULL: database or disk is full`, whatever the driver's error shape. */
export function describeLedgerError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = "code" in error && typeof error.code === "string" ? error.code : null;
  if (code === null || error.message.startsWith(code)) return error.message;
  return `${code}: ${error.message}`;
}

/**
 * Tracks one episode of ledger trouble: from the first failed write to the first write that
 * succeeds with nothing else failing. Reports are throttled on the monotonic clock: a ledger
 * that fails on every probe's commit and every heartbeat logs once per `reportEveryMs`.
 */
export class LedgerTrouble {
  private episode: {
    since: number;
    error: string;
    failing: Set<LedgerOperation>;
    failures: number;
    unreported: number;
    reportedAt: number;
  } | null = null;

  constructor(private readonly reportEveryMs: number) {}

  get status(): LedgerTroubleStatus | null {
    const e = this.episode;
    return e && { since: e.since, error: e.error, operations: [...e.failing] };
  }

  /** A write failed; returns a report when one is due (the first failure, then per interval). */
  failed(
    operation: LedgerOperation,
    error: unknown,
    now: number,
    monotonic: number,
  ): LedgerTroubleReport | null {
    const description = describeLedgerError(error);
    const e = this.episode;
    if (e === null) {
      this.episode = {
        since: now,
        error: description,
        failing: new Set([operation]),
        failures: 1,
        unreported: 0,
        reportedAt: monotonic,
      };
      return { since: now, error: description, operations: [operation], failures: 1 };
    }
    e.error = description;
    e.failing.add(operation);
    e.failures++;
    e.unreported++;
    if (monotonic - e.reportedAt < this.reportEveryMs) return null;
    const failures = e.unreported;
    e.unreported = 0;
    e.reportedAt = monotonic;
    return { since: e.since, error: e.error, operations: [...e.failing], failures };
  }

  /** A write succeeded; returns the episode's end when nothing else is still failing. */
  succeeded(operation: LedgerOperation, now: number): LedgerRecoveryReport | null {
    const e = this.episode;
    if (e === null || !e.failing.delete(operation) || e.failing.size > 0) return null;
    this.episode = null;
    return { since: e.since, at: now, failures: e.failures };
  }
}

/** For /-/ready: `ledger not writable since …: SQLITE_FULL: …; 1234 transitions pending`. */
export function ledgerTroubleReason(status: LedgerTroubleStatus, pending: number): string {
  const since = new Date(status.since).toISOString();
  const what = status.operations.includes("commit") ? "" : ` (${status.operations.join(", ")})`;
  return `ledger not writable${what} since ${since}: ${status.error}; ${pending} transitions pending`;
}
