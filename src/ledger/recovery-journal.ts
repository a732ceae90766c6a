import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import type { AttributionChange, Gap, NewTransition, PageSettlement } from "./ledger.js";

/**
 * The recovery journal: what a stopping daemon could not commit (a full disk), one JSON line per
 * pending write, appended and fsynced next to the SQLite ledger, and committed before anything
 * else on the next start (recovery-replay.ts). A reserve file beside it keeps room for it: the
 * reserve is deleted just before the journal is written, so a disk that filled up still has
 * that much space for the journal.
 */

/** `data/pantau.db` → `data/pantau.db.recovery.jsonl` (not `-journal`: SQLite's own name). */
export function recoveryJournalPath(ledgerPath: string): string {
  return `${ledgerPath}.recovery.jsonl`;
}

export function recoveryReservePath(ledgerPath: string): string {
  return `${ledgerPath}.recovery.reserve`;
}

/** Room kept for the journal: ≈ 700 transitions at ≈ 350 bytes a line. */
export const RECOVERY_RESERVE_BYTES = 256 * 1024;

/** The run the pending writes belong to: they are replayed as that run's. */
export interface JournalRun {
  runId: number;
  /** The run's own instance. */
  instance: string;
  /** Where its transitions are kept: its instance, or its HA group. */
  chain: string;
}

/** A blind gap write; `gapId` is the id of the gap a close ends, when it was committed. */
export type JournalGap = { open: Gap } | { close: number; gapId: number | null };

export type JournalRecord =
  | { kind: "transition"; transition: NewTransition }
  | { kind: "attribution"; change: AttributionChange }
  | { kind: "settlement"; settlement: PageSettlement }
  | { kind: "gap"; gap: JournalGap }
  /** The run stopped at `at`: recorded as its clean stop once the rest is committed. */
  | { kind: "stop"; at: number };

export type JournalLine = JournalRecord & { v: 1; run: JournalRun };

export interface JournalWriteResult {
  path: string;
  /** Records written and fsynced. */
  written: number;
  /** Records that did not fit (the disk is full even without the reserve), with the error. */
  lost: number;
  error: Error | null;
}

/**
 * Appends `records` of `run` to the journal and fsyncs it and its directory. Never throws: a
 * journal that cannot be written whole is cut back to its last whole line, and says how many
 * records it lost and why.
 */
export function writeRecoveryJournal(
  ledgerPath: string,
  run: JournalRun,
  records: readonly JournalRecord[],
): JournalWriteResult {
  const path = recoveryJournalPath(ledgerPath);
  releaseReserve(ledgerPath);
  let fd: number | null = null;
  let written = 0;
  let end = 0;
  try {
    fd = openSync(path, "a");
    end = statSync(path).size;
    for (const record of records) {
      const line = Buffer.from(`${JSON.stringify({ v: 1, run, ...record })}\n`);
      writeWhole(fd, line);
      end += line.length;
      written++;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    fsyncDirectory(path);
    return { path, written, lost: 0, error: null };
  } catch (error) {
    // the whole lines before the failure are kept, if they can still be made durable
    const saved = fd !== null && saveWholeLines(fd, end) ? written : 0;
    return { path, written: saved, lost: records.length - saved, error: asError(error) };
  }
}

/** Cuts a torn last line off, fsyncs and closes; false when the lines are not durable. */
function saveWholeLines(fd: number, size: number): boolean {
  try {
    ftruncateSync(fd, size);
    fsyncSync(fd);
    return true;
  } catch {
    return false;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // the write's error is the one reported
    }
  }
}

function writeWhole(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset);
}

function fsyncDirectory(path: string): void {
  const fd = openSync(dirname(path), "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export interface JournalContents {
  path: string;
  lines: JournalLine[];
  /** Lines that are not a whole record (a torn last line): skipped. */
  skipped: number;
}

/** The journal beside the ledger at `ledgerPath`, or null when there is none. */
export function readRecoveryJournal(ledgerPath: string): JournalContents | null {
  const path = recoveryJournalPath(ledgerPath);
  if (!existsSync(path)) return null;
  const lines: JournalLine[] = [];
  let skipped = 0;
  for (const text of readFileSync(path, "utf8").split("\n")) {
    if (text === "") continue;
    const line = parseLine(text);
    if (line === null) skipped++;
    else lines.push(line);
  }
  return { path, lines, skipped };
}

function parseLine(text: string): JournalLine | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return isJournalLine(value) ? value : null;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;
const isTime = (value: unknown): value is number => Number.isFinite(value);

/**
 * The shape of a line, so that a hand-edited or damaged journal is skipped line by line; what
 * the values mean (states, chains) the ledger's own checks decide on replay.
 */
function isJournalLine(value: unknown): value is JournalLine {
  if (!isObject(value) || value.v !== 1 || !isObject(value.run)) return false;
  const { run } = value;
  if (!Number.isSafeInteger(run.runId) || typeof run.instance !== "string") return false;
  if (typeof run.chain !== "string") return false;
  switch (value.kind) {
    case "transition": {
      const t = value.transition;
      return (
        isObject(t) &&
        typeof t.targetId === "string" &&
        typeof t.from === "string" &&
        typeof t.to === "string" &&
        isTime(t.at) &&
        isTime(t.detectedAt)
      );
    }
    case "attribution":
      return isObject(value.change) && typeof value.change.targetId === "string";
    case "settlement":
      return isObject(value.settlement) && typeof value.settlement.targetId === "string";
    case "gap":
      return isObject(value.gap) && (isObject(value.gap.open) || isTime(value.gap.close));
    case "stop":
      return isTime(value.at);
    default:
      return false;
  }
}

/** Removes the journal once all it held is committed. */
export function removeRecoveryJournal(ledgerPath: string): void {
  const path = recoveryJournalPath(ledgerPath);
  unlinkSync(path);
  fsyncDirectory(path);
}

/**
 * Makes sure the reserve exists at its size (written, not sparse: the blocks are the room).
 * Returns the error when the disk has no room for it; the daemon runs on without it.
 */
export function keepReserve(ledgerPath: string, bytes = RECOVERY_RESERVE_BYTES): Error | null {
  const path = recoveryReservePath(ledgerPath);
  try {
    if (existsSync(path) && statSync(path).size === bytes) return null;
    const fd = openSync(path, "w");
    try {
      writeWhole(fd, Buffer.alloc(bytes, 0x20));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return null;
  } catch (error) {
    try {
      unlinkSync(path);
    } catch {
      // never created
    }
    return asError(error);
  }
}

function releaseReserve(ledgerPath: string): void {
  try {
    unlinkSync(recoveryReservePath(ledgerPath));
  } catch {
    // none kept: the journal takes what room there is
  }
}
