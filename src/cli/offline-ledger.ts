import { resolve } from "node:path";
import type { ConfigLoadResult } from "../config/load.js";
import type { Config, StorageSettings } from "../config/types.js";
import {
  isQueryError,
  parseFilters,
  parseTimeRange,
  type TargetFilters,
  type TimeRange,
} from "../expose/query.js";
import { formatConfigIssue } from "../fields/errors.js";
import { isLedgerError } from "../ledger/errors.js";
import type { Ledger } from "../ledger/ledger.js";
import { openReadOnlyLedger } from "../ledger/open.js";
import { didYouMean } from "../text/suggest.js";

/**
 * What the offline commands that read the ledger (`outages`, `report`) share: injected I/O,
 * exit codes, the scope flags, the config and the read-only ledger, and one-line stops.
 */

export const DEFAULT_DB = "data/pantau.db";

// as main.ts: usage errors exit 2, failures of the work 1 (main.ts runs on import, so not shared)
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export type Environment = Readonly<Record<string, string | undefined>>;

/** Where a command writes and how it ends, injected so tests run it in-process. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
  /** Width for tables: the terminal's when stdout is one; absent means 80. */
  readonly columns?: number;
}

/** What a command that reads the ledger offline needs from its surroundings. */
export interface LedgerCommandDeps {
  io: CommandIo;
  now(): number;
  env: Environment;
  loadConfig(file: string, env: Environment): Promise<ConfigLoadResult>;
  /** Opens the ledger to read only (ledger/open.ts: on a read-only filesystem too). */
  openLedger(location: LedgerLocation): Promise<Ledger>;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  // a pipe or a file gets the classic 80, whatever terminal the command was started from
  get columns() {
    return process.stdout.isTTY ? process.stdout.columns : undefined;
  },
};

// loaded on demand: listing outages from --db must not need the config loader (or YAML) at all
async function loadConfigLazily(file: string, env: Environment): Promise<ConfigLoadResult> {
  const { loadConfig } = await import("../config/load.js");
  return loadConfig(file, env);
}

export const defaultLedgerCommandDeps: LedgerCommandDeps = {
  io: processIo,
  now: () => Date.now(),
  env: process.env,
  loadConfig: loadConfigLazily,
  openLedger: (location) => openReadOnlyLedger(location),
};

/** A reason to stop: a one-line message and the exit code. */
export interface Stop {
  exitCode: number;
  message: string;
}

export function isStop(value: unknown): value is Stop {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<Stop>).exitCode === "number" &&
    typeof (value as Partial<Stop>).message === "string"
  );
}

/** Where an offline command reads: the PostgreSQL `url` when set, else the SQLite file `path`. */
export type LedgerLocation = Pick<StorageSettings, "path" | "url">;

/**
 * Opens the ledger read-only (`open`: no migration, no instance lock, nothing written), reads,
 * closes. A ledger that cannot be read (missing file or
 * unreachable server, not a ledger, newer schema) is a Stop with exit 1; anything else is a
 * bug and thrown.
 */
export async function readLedger<T>(
  location: LedgerLocation,
  read: (ledger: Ledger) => Promise<T | Stop>,
  origin: LedgerOrigin = "flag",
  open: (location: LedgerLocation) => Promise<Ledger> = openReadOnlyLedger,
): Promise<T | Stop> {
  try {
    const ledger = await open(location);
    try {
      return await read(ledger);
    } finally {
      await ledger.close();
    }
  } catch (error) {
    if (!isLedgerError(error)) throw error;
    // a ledger the user named is where they said; one chosen for them needs saying where
    const hint =
      error.code === "LEDGER_OPEN" && origin !== "flag" ? whereLooked(location, origin) : "";
    return { exitCode: EXIT_FAILURE, message: `${error.message}${hint}` };
  }
}

/** How the ledger read was chosen: --db/--url, --config's storage, or the default file. */
export type LedgerOrigin = "flag" | "config" | "default";

const ORIGIN_TEXT: Record<Exclude<LedgerOrigin, "flag">, string> = {
  config: "--config's storage.path or storage.url",
  default: "the default: no --db, --url or --config given",
};

/** Said when a ledger cannot be opened: where it was looked for, and how to name another. */
function whereLooked(location: LedgerLocation, origin: Exclude<LedgerOrigin, "flag">): string {
  const where = location.path !== null ? resolve(location.path) : "the PostgreSQL server";
  return (
    `\n  looked for ${where} (${ORIGIN_TEXT[origin]})` +
    "\n  name a ledger with --db FILE, --url postgres://user@host/db, or --config FILE (its storage.path or storage.url)"
  );
}

/**
 * A Stop when `targetId` is set and the ledger has never recorded that target (a typo, or
 * another ledger's), with the nearest id it has; null when there is nothing to say.
 */
export async function unknownTarget(
  ledger: Ledger,
  targetId: string | undefined,
  now: number,
): Promise<Stop | null> {
  if (targetId === undefined) return null;
  const known = await ledger.lastTransitionsBefore({ before: now + 1 });
  const ids = new Set(known.map((transition) => transition.targetId));
  if (ids.has(targetId)) return null;
  return {
    exitCode: EXIT_FAILURE,
    message: `--target: the ledger has no target ${JSON.stringify(targetId)}${didYouMean(targetId, ids)}`,
  };
}

/** Writes `pantau COMMAND: message` to stderr and gives the exit code. */
export function reportStop(command: string, reason: Stop, io: CommandIo): number {
  io.err(`pantau ${command}: ${reason.message}\n`);
  return reason.exitCode;
}

export function usage(message: string): Stop {
  return { exitCode: EXIT_USAGE, message };
}

/** Other names a --format value may go by. */
const FORMAT_ALIASES: Readonly<Record<string, string>> = { md: "markdown" };

/** --format's value as one of `formats` (an alias taken), or a usage Stop with the nearest. */
export function formatNamed<F extends string>(value: string, formats: readonly F[]): F | Stop {
  const name = FORMAT_ALIASES[value] ?? value;
  if ((formats as readonly string[]).includes(name)) return name as F;
  const known = [...formats, ...Object.keys(FORMAT_ALIASES)];
  return usage(
    `--format: ${JSON.stringify(value)} is not one of ${formats.join(", ")}${didYouMean(value, known)}`,
  );
}

/** The flags that choose what to read: a time range and target filters. */
export interface ScopeOptions {
  since?: string;
  until?: string;
  target?: string;
  service?: string;
  site?: string;
  /** A quorum group: its verdicts (the chain quorum/GROUP) instead of every instance's. */
  quorum?: string;
}

/** --since/--until (default: the 24 hours before now) and --target/--service/--site. */
export function parseScope(options: ScopeOptions, now: number): (TargetFilters & TimeRange) | Stop {
  const range = parseTimeRange({ since: options.since, until: options.until }, now);
  // query messages start with the parameter's name, which is also the flag's
  if (isQueryError(range)) return usage(`--${range.message}`);
  const filters = parseFilters({
    target: options.target,
    service: options.service,
    site: options.site,
    quorum: options.quorum,
  });
  if (isQueryError(filters)) return usage(`--${filters.message}`);
  return { ...filters, ...range };
}

/** The configuration in `file`; an invalid one is a Stop (exit 1) listing every issue. */
export async function readConfig(
  file: string,
  deps: Pick<LedgerCommandDeps, "env" | "loadConfig">,
): Promise<Config | Stop> {
  const loaded = await deps.loadConfig(file, deps.env);
  if (loaded.ok) return loaded.config;
  const issues = loaded.issues.map(formatConfigIssue).join("\n");
  return { exitCode: EXIT_FAILURE, message: `--config: ${file} is not valid\n${issues}` };
}

/** The config's ledger: storage.url, else storage.path, else the default file. */
export function ledgerOf(config: Config): LedgerLocation {
  if (config.storage.url) return { path: null, url: config.storage.url };
  return { path: config.storage.path ?? DEFAULT_DB, url: null };
}

/** The ledger the flags name (--db FILE or --url URL, not both); null when neither is given. */
export function ledgerFlag(options: { db?: string; url?: string }): LedgerLocation | Stop | null {
  if (options.db !== undefined && options.url !== undefined) {
    return usage("give either --db FILE or --url URL, not both");
  }
  if (options.db === "") return usage("--db: must not be empty");
  if (options.url === "") return usage("--url: must not be empty");
  if (options.url !== undefined) return { path: null, url: options.url };
  if (options.db !== undefined) return { path: options.db, url: null };
  return null;
}
