/**
 * Stable codes for everything a ledger refuses or cannot do. Shared by every store (SQLite now,
 * PostgreSQL later) so the one contract suite can assert them.
 */
export type LedgerErrorCode =
  /** The store could not be opened (missing file on a read-only open, not a database, no access). */
  | "LEDGER_OPEN"
  /** The schema is missing, partial (read-only open of a never-migrated file) or newer than this build. */
  | "LEDGER_SCHEMA"
  /** A write was attempted on a read-only ledger. */
  | "LEDGER_READONLY"
  /** The ledger was used after `close()`. */
  | "LEDGER_CLOSED"
  | "LEDGER_RUN_NOT_FOUND"
  /** Heartbeat, stop or commit on a run that was already stopped. */
  | "LEDGER_RUN_STOPPED"
  | "LEDGER_GAP_NOT_FOUND"
  | "LEDGER_GAP_CLOSED"
  /** A transition whose `from` is not the target's last stored state, or that repeats a state. */
  | "LEDGER_TRANSITION_CHAIN"
  /** A transition whose `at` is earlier than the target's previous transition. */
  | "LEDGER_TRANSITION_ORDER"
  /** A malformed argument: unknown state, negative limit, gap ending before it starts. */
  | "LEDGER_INVALID"
  /** A member of a high-availability group committed while another run holds the leadership. */
  | "LEDGER_FENCED"
  /** Another live daemon already runs this instance on this SQLite ledger. */
  | "LEDGER_LOCKED"
  /** The stored data contradicts itself (e.g. last state `down` but no open outage). */
  | "LEDGER_CORRUPT"
  /** A query outlived its deadline (PostgreSQL: a row lock held elsewhere, a server not answering). */
  | "LEDGER_TIMEOUT";

export type LedgerErrorContext = Readonly<Record<string, string | number | boolean | null>>;

/** Thrown by ledger methods; `code` is stable, `context` names what was involved. */
export class LedgerError extends Error {
  override readonly name = "LedgerError";

  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly context: LedgerErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

export function isLedgerError(value: unknown, code?: LedgerErrorCode): value is LedgerError {
  return value instanceof LedgerError && (code === undefined || value.code === code);
}
