import { Command } from "commander";
import type { TimeRange } from "../expose/query.js";
import { listOutages, type OutageFacts, outagePages } from "../ledger/figures/outage-facts.js";
import { outageJson } from "../ledger/figures/outage-json.js";
import type { OutageQuery } from "../ledger/ledger.js";
import { csvField, renderCsv, secondsText } from "../text/csv.js";
import { humanDuration } from "../text/duration.js";
import { renderMarkdownTable, renderTable, type TableColumn } from "../text/table.js";
import { formatTime } from "../text/time.js";
import {
  type CommandIo,
  DEFAULT_DB,
  defaultLedgerCommandDeps,
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
  type Stop,
  unknownTarget,
} from "./offline-ledger.js";

/** `pantau outages` (docs/cli.md): the ledger's outages, read offline while the daemon may run. */

export { DEFAULT_DB };
export const OUTAGE_FORMATS = ["table", "csv", "json", "markdown"] as const;
export type OutageFormat = (typeof OUTAGE_FORMATS)[number];

interface OutagesOptions {
  since?: string;
  until?: string;
  target?: string;
  service?: string;
  site?: string;
  quorum?: string;
  open?: boolean;
  format: string;
  db?: string;
  config?: string;
  url?: string;
}

/** What to list, once every flag has been checked. */
interface OutagesRequest {
  query: OutageQuery & TimeRange;
  format: OutageFormat;
}

export type OutagesDeps = LedgerCommandDeps;

export function outagesCommand(deps: Partial<OutagesDeps> = {}): Command {
  const resolved: OutagesDeps = { ...defaultLedgerCommandDeps, ...deps };
  return new Command("outages")
    .description("list outages from the ledger (read-only: works while the daemon runs)")
    .option("--since <time>", "RFC 3339 or relative (-24h, -7d); default: 24h before --until")
    .option("--until <time>", "RFC 3339, relative (-1h) or now; default: now")
    .option("--target <id>", "only this target")
    .option("--service <name>", "only this service")
    .option("--site <name>", "only this site")
    .option(
      "--quorum <group>",
      "the quorum group's verdicts (its vantages agreeing), not one daemon's",
    )
    .option("--open", "only outages still open")
    .option("--format <format>", `${OUTAGE_FORMATS.join(", ")} (or md)`, "table")
    .option("--db <file>", `SQLite ledger; default: --config's storage.path, else ${DEFAULT_DB}`)
    .option("-c, --config <file>", "configuration file to take storage.url or storage.path from")
    .option("--url <url>", "PostgreSQL ledger, postgres://user@host/db (password: PGPASSWORD)")
    .action(async (options: OutagesOptions) => {
      resolved.io.setExitCode(await runOutages(options, resolved));
    });
}

async function runOutages(options: OutagesOptions, deps: OutagesDeps): Promise<number> {
  const now = deps.now();
  const request = parseRequest(options, now);
  if ("exitCode" in request) return stop(request, deps.io);
  const source = await ledgerLocation(options, deps);
  if (isStop(source)) return stop(source, deps.io);
  const { format, query } = request;
  const outages = await readLedger(
    source.location,
    async (ledger) => {
      const unknown = await unknownTarget(ledger, query.targetId, now);
      if (unknown !== null) return unknown;
      if (!isStreamed(format)) return listOutages(ledger, query, now);
      await streamOutages(outagePages(ledger, query, now), format, deps.io);
      return null;
    },
    source.origin,
    deps.openLedger,
  );
  if (isStop(outages)) return stop(outages, deps.io);
  if (outages !== null) deps.io.out(renderOutages(outages, format, query, deps.io.columns));
  return EXIT_OK;
}

/** csv and json are written a page at a time; a table's widths depend on every row. */
function isStreamed(format: OutageFormat): format is "csv" | "json" {
  return format === "csv" || format === "json";
}

/**
 * Exactly what renderOutages gives for csv and json, written as the pages are read, so half a
 * million outages are never all in memory. A failure after the first page leaves the output cut.
 */
export async function streamOutages(
  pages: AsyncIterable<readonly OutageFacts[]>,
  format: "csv" | "json",
  io: CommandIo,
): Promise<void> {
  if (format === "csv") {
    io.out(renderCsv(CSV_HEADER, []));
    for await (const page of pages) io.out(page.map(csvLine).join(""));
    return;
  }
  let count = 0;
  for await (const page of pages) {
    // JSON.stringify(list, null, 2) indents each element two more spaces; elements hold no raw newline
    const items = page.map(
      (o) => `  ${JSON.stringify(outageJson(o), null, 2).replace(/\n/g, "\n  ")}`,
    );
    io.out(`${count === 0 ? "[\n" : ",\n"}${items.join(",\n")}`);
    count += page.length;
  }
  io.out(count === 0 ? "[]\n" : "\n]\n");
}

function stop(reason: Stop, io: CommandIo): number {
  return reportStop("outages", reason, io);
}

function parseRequest(options: OutagesOptions, now: number): OutagesRequest | Stop {
  const flag = ledgerFlag(options);
  if (isStop(flag)) return flag;
  const format = formatNamed(options.format, OUTAGE_FORMATS);
  if (isStop(format)) return format;
  const scope = parseScope(options, now);
  if (isStop(scope)) return scope;
  const query: OutageQuery & TimeRange = { ...scope };
  if (options.open === true) query.open = true;
  return { query, format };
}

/** --db or --url, else --config's storage, else the default file. */
async function ledgerLocation(
  options: OutagesOptions,
  deps: OutagesDeps,
): Promise<{ location: LedgerLocation; origin: LedgerOrigin } | Stop> {
  const flag = ledgerFlag(options);
  if (isStop(flag)) return flag;
  if (flag !== null) return { location: flag, origin: "flag" };
  if (options.config === undefined) {
    return { location: { path: DEFAULT_DB, url: null }, origin: "default" };
  }
  const config = await readConfig(options.config, deps);
  return isStop(config) ? config : { location: ledgerOf(config), origin: "config" };
}

export function renderOutages(
  outages: readonly OutageFacts[],
  format: OutageFormat,
  range: TimeRange,
  columns = 80,
): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(outages.map(outageJson), null, 2)}\n`;
    case "csv":
      return renderCsv(CSV_HEADER, outages.map(csvRow));
    case "markdown":
      return renderMarkdownTable(
        TABLE_COLUMNS,
        outages.map((o) => tableRow(o, formatTime)),
      );
    case "table":
      return plainTable(outages, range, columns);
  }
}

// ids are what a reader copies into --target: they are cut last, after every other column
const TABLE_COLUMNS: readonly TableColumn[] = [
  { header: "target", shrink: true, minWidth: 10, cutLast: true },
  { header: "service", shrink: true, minWidth: 6 },
  { header: "site", shrink: true, minWidth: 4 },
  { header: "start" },
  { header: "end" },
  { header: "duration", alignRight: true },
  { header: "reason", shrink: true },
  { header: "blocked_by", shrink: true, cutLast: true },
];

const CSV_HEADER = [
  "instance",
  "target",
  "service",
  "site",
  "start",
  "end",
  "detected_at",
  "duration_seconds",
  "blind_seconds",
  "reason",
  "detail",
  "blocked_by",
  "blocked_until",
  "maintenance",
  "end_reason",
  "last_ok_at",
  "last_failed_at",
];

function rangeText(range: TimeRange): string {
  return `${formatTime(range.since)} .. ${formatTime(range.until)}`;
}

/**
 * As wide as the terminal (80 off one). 80 columns hold eight columns only with short times:
 * UTC to the minute, the year only when the times shown span more than one; csv and json give
 * every time to the millisecond.
 */
function plainTable(outages: readonly OutageFacts[], range: TimeRange, columns: number): string {
  if (outages.length === 0) return `no outages in ${rangeText(range)}\n`;
  const times = outages.flatMap((o) => (o.end === null ? [o.start] : [o.start, o.end]));
  const years = new Set(times.map((ms) => new Date(ms).getUTCFullYear()));
  const short = (ms: number) => {
    const iso = formatTime(ms);
    return `${iso.slice(years.size > 1 ? 0 : 5, 10)} ${iso.slice(11, 16)}`;
  };
  const rows = outages.map((o) => tableRow(o, short));
  // one space between columns: two would cost seven of the 80 characters
  const table = renderTable(TABLE_COLUMNS, rows, { maxWidth: columns, gap: " " });
  const count = `${outages.length} outage${outages.length === 1 ? "" : "s"}`;
  return `${table}${count} in ${rangeText(range)}, times UTC\n`;
}

function tableRow(outage: OutageFacts, time: (ms: number) => string): string[] {
  return [
    outage.targetId,
    outage.service || "-",
    outage.site || "-",
    time(outage.start),
    outage.end === null ? "open" : time(outage.end),
    humanDuration(outage.durationSeconds),
    outage.reason ?? "-",
    outage.blockedBy ?? "-",
  ];
}

function csvRow(outage: OutageFacts): string[] {
  return [
    outage.instance,
    outage.targetId,
    outage.service,
    outage.site,
    formatTime(outage.start),
    outage.end === null ? "" : formatTime(outage.end),
    formatTime(outage.detectedAt),
    secondsText(outage.durationSeconds),
    secondsText(outage.blindSeconds),
    outage.reason ?? "",
    outage.detail ?? "",
    outage.blockedBy ?? "",
    optionalTime(outage.blockedUntil),
    String(outage.maintenance),
    outage.endReason ?? "",
    optionalTime(outage.lastOkAt),
    optionalTime(outage.lastFailedAt),
  ];
}

function optionalTime(ms: number | null): string {
  return ms === null ? "" : formatTime(ms);
}

/**
 * csvLines([csvRow(outage)]) without testing the fields that cannot need quoting (times,
 * seconds, true/false): half a million rows are written this way.
 */
function csvLine(outage: OutageFacts): string {
  const fields = [
    csvField(outage.instance),
    csvField(outage.targetId),
    csvField(outage.service),
    csvField(outage.site),
    formatTime(outage.start),
    outage.end === null ? "" : formatTime(outage.end),
    formatTime(outage.detectedAt),
    secondsText(outage.durationSeconds),
    secondsText(outage.blindSeconds),
    csvField(outage.reason ?? ""),
    csvField(outage.detail ?? ""),
    csvField(outage.blockedBy ?? ""),
    optionalTime(outage.blockedUntil),
    String(outage.maintenance),
    csvField(outage.endReason ?? ""),
    optionalTime(outage.lastOkAt),
    optionalTime(outage.lastFailedAt),
  ];
  return `${fields.join(",")}\n`;
}
