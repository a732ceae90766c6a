import type Database from "better-sqlite3";
import type { Daemon } from "../../src/daemon/daemon.js";

/**
 * Test seam: the SQLite ledger's own connection. `max_page_count` is per connection, and a
 * full disk cannot be made without root; as root, chmod does not stop writes either.
 */
export function connectionOf(daemon: Daemon): Database.Database {
  return (daemon.ledger as unknown as { db: Database.Database }).db;
}

const isFull = (error: unknown) => (error as { code?: string }).code === "SQLITE_FULL";

/**
 * Makes the ledger full: the file capped at its size, its free pages taken by a ballast table,
 * and the page the next transition would go to (the one holding the last transition) filled
 * by padding that row's detail. Every commit then fails with SQLITE_FULL, as on a full disk.
 */
export function fillLedger(db: Database.Database): void {
  db.exec("CREATE TABLE IF NOT EXISTS test_ballast (b BLOB)");
  db.pragma(`max_page_count = ${Number(db.pragma("page_count", { simple: true }))}`);
  const insert = db.prepare("INSERT INTO test_ballast VALUES (zeroblob(?))");
  for (const size of [4096, 512, 64, 8]) {
    try {
      for (let i = 0; i < 10_000; i++) insert.run(size);
    } catch (error) {
      if (!isFull(error)) throw error;
    }
  }
  const pad = db.prepare(
    "UPDATE transitions SET detail = ? WHERE id = (SELECT max(id) FROM transitions)",
  );
  let [fits, full] = [0, 4096];
  while (full - fits > 1) {
    const size = Math.floor((fits + full) / 2);
    try {
      pad.run("x".repeat(size));
      fits = size;
    } catch (error) {
      if (!isFull(error)) throw error;
      full = size;
    }
  }
  pad.run("x".repeat(fits));
}

/** Lifts the cap fillLedger set: every write fits again. */
export function unfillLedger(db: Database.Database): void {
  db.pragma("max_page_count = 1073741823");
}
