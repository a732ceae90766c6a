import { writeFile } from "node:fs/promises";
import { Command } from "commander";
import type { MaintenanceWindow } from "../config/types.js";
import type { ReportQuery } from "../ledger/figures/availability.js";
import { readIncident } from "../ledger/figures/incident.js";
import { readQuorumView } from "../ledger/figures/quorum-view.js";
import { notBeforeFirstRun } from "../ledger/figures/unwatched.js";
import { isQuorumLedger } from "../ledger/ledger.js";
import { renderIncidentHtml } from "../report/html.js";
import { renderIncidentMarkdown } from "../report/markdown.js";
import {
  DEFAULT_DB,
  defaultLedgerCommandDeps,
  EXIT_FAILURE,
  EXIT_OK,
  formatNamed,
  isStop,
  type LedgerCommandDeps,
  type LedgerLocation,
  type LedgerOrigin,
  ledgerFlag,
  ledgerOf,
  parseScope,
  readConfig,
  readLedger,
  reportStop,
  type ScopeOptions,
  type Stop,
  unknownTarget,
  usage,
} from "./offline-ledger.js";

/**
 * `pantau report` (docs/cli.md): a post-incident report from the ledger, read offline while the
 * daemon may run: markdown, or a self-contained html page with a timeline picture.
 */

export const REPORT_FORMATS = ["markdown", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export type ReportDeps = LedgerCommandDeps;

interface ReportOptions extends ScopeOptions {
  format?: string;
  out?: string;
  db?: string;
  url?: string;
  config?: string;
}

/** What to report, once every flag has been checked. */
interface ReportRequest {
  query: ReportQuery;
  /** Without --since the window starts no earlier than the ledger's first observation. */
  sinceGiven: boolean;
  format: ReportFormat;
  /** null: stdout. */
  out: string | null;
}

/** The ledger to read and the config's maintenance windows (null without --config). */
interface ReportSource {
  location: LedgerLocation;
  origin: LedgerOrigin;
  windows: readonly MaintenanceWindow[] | null;
}

export function reportCommand(deps: Partial<ReportDeps> = {}): Command {
  const resolved: ReportDeps = { ...defaultLedgerCommandDeps, ...deps };
  return new Command("report")
    .description(
      "post-incident report from the ledger: summary, figures per service, site and target, " +
        "outages, monitor gaps, transitions; html adds a timeline picture (read-only)",
    )
    .option(
      "--since <time>",
      "RFC 3339 or relative (-24h, -7d); default: 24h before --until, but not before the " +
        "ledger's first observation (pantau's first run)",
    )
    .option("--until <time>", "RFC 3339, relative (-1h) or now; default: now")
    .option("--target <id>", "only this target")
    .option("--service <name>", "only this service")
    .option("--site <name>", "only this site")
    .option(
      "--quorum <group>",
      "the quorum group's verdicts (its vantages agreeing), not one daemon's",
    )
    .option(
      "--format <format>",
      `${REPORT_FORMATS.join(", ")} (or md); default: html when --out ends in .html, else markdown`,
    )
    .option("--out <file>", "write the report to this file instead of stdout")
    .option("--db <file>", `SQLite ledger; default: --config's storage.path, else ${DEFAULT_DB}`)
    .option("--url <url>", "PostgreSQL ledger, postgres://user@host/db (password: PGPASSWORD)")
    .option(
      "-c, --config <file>",
      "configuration: storage.url or storage.path, and maintenance windows to leave out of availability",
    )
    .action(async (options: ReportOptions) => {
      resolved.io.setExitCode(await runReport(options, resolved));
    });
}

async function runReport(options: ReportOptions, deps: ReportDeps): Promise<number> {
  const now = deps.now();
  const request = parseRequest(options, now);
  if (isStop(request)) return stop(request, deps);
  const source = await reportSource(options, deps);
  if (isStop(source)) return stop(source, deps);
  const incident = await readLedger(
    source.location,
    async (ledger) => {
      const unknown = await unknownTarget(ledger, request.query.targetId, now);
      if (unknown !== null) return unknown;
      const query = request.sinceGiven
        ? request.query
        : await notBeforeFirstRun(ledger, request.query);
      const incident = await readIncident(ledger, query, now, source.windows);
      if (options.quorum === undefined || !isQuorumLedger(ledger)) return incident;
      const quorum = await readQuorumView(ledger, options.quorum, incident.window, now);
      return { ...incident, quorum };
    },
    source.origin,
    deps.openLedger,
  );
  if (isStop(incident)) return stop(incident, deps);
  const text =
    request.format === "html" ? renderIncidentHtml(incident) : renderIncidentMarkdown(incident);
  if (request.out === null) {
    deps.io.out(text);
    return EXIT_OK;
  }
  const written = await writeReport(request.out, text);
  return written === null ? EXIT_OK : stop(written, deps);
}

function stop(reason: Stop, deps: ReportDeps): number {
  return reportStop("report", reason, deps.io);
}

function parseRequest(options: ReportOptions, now: number): ReportRequest | Stop {
  const written = options.format ?? (/\.html?$/i.test(options.out ?? "") ? "html" : "markdown");
  const format = formatNamed(written, REPORT_FORMATS);
  if (isStop(format)) return format;
  if (options.out === "") return usage("--out: must not be empty");
  const flag = ledgerFlag(options);
  if (isStop(flag)) return flag;
  const scope = parseScope(options, now);
  if (isStop(scope)) return scope;
  return {
    query: scope,
    sinceGiven: options.since !== undefined,
    format,
    out: options.out ?? null,
  };
}

/** --db or --url, else --config's storage, else the default file; windows from --config. */
async function reportSource(
  options: ReportOptions,
  deps: ReportDeps,
): Promise<ReportSource | Stop> {
  const flag = ledgerFlag(options);
  if (isStop(flag)) return flag;
  const named = flag === null ? null : { location: flag, origin: "flag" as const };
  if (options.config === undefined) {
    const fallback = { location: { path: DEFAULT_DB, url: null }, origin: "default" as const };
    return { ...(named ?? fallback), windows: null };
  }
  const config = await readConfig(options.config, deps);
  if (isStop(config)) return config;
  const fromConfig = { location: ledgerOf(config), origin: "config" as const };
  return { ...(named ?? fromConfig), windows: config.maintenance };
}

/** Writes the file; a file system refusal (missing folder, no permission) is a Stop. */
async function writeReport(file: string, text: string): Promise<Stop | null> {
  try {
    await writeFile(file, text, "utf8");
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== "string") throw error;
    return { exitCode: EXIT_FAILURE, message: `--out: cannot write ${file} (${code})` };
  }
}
