import type { StorageSettings } from "../config/types.js";
import type { Ledger } from "./ledger.js";
import { openSqliteLedger } from "./sqlite.js";

/** Opens the configured store. PostgreSQL (`storage.url`) arrives with the fleet work. */
export function openLedger(storage: StorageSettings, options: { readonly?: boolean } = {}): Ledger {
  if (storage.url) {
    throw new Error("storage.url (PostgreSQL) is not supported yet; use storage.path");
  }
  return openSqliteLedger(storage.path ?? "data/pantau.db", options);
}
