import Database from "better-sqlite3";
import { LedgerError } from "./errors.js";

/**
 * One daemon per instance on a SQLite ledger. Two daemons writing one instance's chains would
 * refuse each other's commits and record bogus restart gaps; nothing in the ledger itself
 * stops the second. A lock file beside the ledger is held in SQLite's exclusive locking mode
 * for the daemon's lifetime: the operating system releases it when the process ends, however
 * it ends, so a restart after a crash takes it at once.
 */
export class InstanceLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock of `instance` on the ledger at `ledgerPath`, or throws LEDGER_LOCKED. */
  static take(ledgerPath: string, instance: string): InstanceLock {
    const file = lockFileOf(ledgerPath, instance);
    const db = new Database(file, { timeout: 0 });
    try {
      db.pragma("locking_mode = EXCLUSIVE");
      // the first write takes the exclusive lock; in this mode it is kept until close
      db.exec("CREATE TABLE IF NOT EXISTS lock (pid INTEGER)");
      db.exec("BEGIN EXCLUSIVE; DELETE FROM lock; COMMIT");
      return new InstanceLock(db);
    } catch (error) {
      db.close();
      const code = error instanceof Error && "code" in error ? String(error.code) : "";
      if (!code.startsWith("SQLITE_BUSY")) throw error;
      throw new LedgerError(
        "LEDGER_LOCKED",
        `instance "${instance}" is already running on ${ledgerPath} (its lock ${file} is held); stop it, or give this daemon another global.instance`,
        { path: ledgerPath, instance },
      );
    }
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}

/** `data/pantau.db` + `jakarta-1` → `data/pantau.db.jakarta-1.lock` (the name made file-safe). */
export function lockFileOf(ledgerPath: string, instance: string): string {
  return `${ledgerPath}.${instance.replace(/[^A-Za-z0-9._-]/g, "_")}.lock`;
}
