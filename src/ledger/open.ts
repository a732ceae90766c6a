import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { StorageSettings } from "../config/types.js";
import { LedgerError } from "./errors.js";
import type { Ledger } from "./ledger.js";
import { openSqliteLedger } from "./sqlite.js";

/**
 * Opens the configured store: PostgreSQL when `storage.url` is set (several daemons may share
 * it), else the SQLite file `storage.path`. Async because a network store connects and migrates.
 */
export async function openLedger(
  storage: Pick<StorageSettings, "path" | "url">,
  options: { readonly?: boolean } = {},
): Promise<Ledger> {
  if (storage.url) {
    // imported only for a PostgreSQL ledger: pg costs ≈ 50 ms of every CLI read of a SQLite one
    const { openPostgresLedger } = await import("./postgres.js");
    return openPostgresLedger(storage.url, options);
  }
  return openSqliteLedger(storage.path ?? "data/pantau.db", options);
}

export interface ReadOnlyOpenOptions {
  /** Whether SQLite could create files in `dir` (injectable: root may write where others may not). */
  directoryWritable?: (dir: string) => boolean;
}

/**
 * For the offline commands: opens the ledger to read only — no migration, no instance lock —
 * on a read-only filesystem too. A SQLite reader in WAL mode needs to create `-wal` and `-shm`
 * files beside the ledger; where it cannot, no daemon can be writing there either, and the
 * file is opened immutable (SQLite reads it as it is, creating nothing). Unless a `-wal` left
 * by a daemon that did not stop cleanly holds commits not yet in the file: those are read
 * through its `-shm` when that is there too, and never silently left out.
 */
export async function openReadOnlyLedger(
  storage: Pick<StorageSettings, "path" | "url">,
  options: ReadOnlyOpenOptions = {},
): Promise<Ledger> {
  if (storage.url) return openLedger(storage, { readonly: true });
  const path = storage.path ?? "data/pantau.db";
  const writable = options.directoryWritable ?? isWritableDirectory;
  if (writable(dirname(resolve(path)))) return openSqliteLedger(path, { readonly: true });
  if (!holdsFrames(`${path}-wal`))
    return openSqliteLedger(path, { readonly: true, immutable: true });
  try {
    return openSqliteLedger(path, { readonly: true });
  } catch (error) {
    if (!(error instanceof LedgerError) || error.code !== "LEDGER_OPEN") throw error;
    throw new LedgerError(
      "LEDGER_OPEN",
      `cannot read ledger ${path}: its directory is read-only and its write-ahead log ${path}-wal holds commits not yet in the file (the daemon did not stop cleanly); copy the ledger with its -wal file to a writable directory and read the copy`,
      { path, readonly: true },
      { cause: error },
    );
  }
}

function isWritableDirectory(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A -wal file with frames in it (a clean stop checkpoints and removes it). */
function holdsFrames(wal: string): boolean {
  try {
    return statSync(wal).size > 0;
  } catch {
    return false;
  }
}
