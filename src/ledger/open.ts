import type { StorageSettings } from "../config/types.js";
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
