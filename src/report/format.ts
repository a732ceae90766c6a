import type { OutageFacts } from "./numbers.js";

/**
 * Text shapes for people and for tools: times, durations, plain-text, markdown and CSV tables,
 * JSON. Below `expose/` in the import order, so the API and the CLI share it.
 */

const MS_PER_DAY = 86_400_000;
/** Years 0000–9999 print as four digits; beyond, toISOString's six-digit form is left to it. */
const FOUR_DIGIT_YEARS = { min: Date.UTC(0, 0, 1), max: Date.UTC(10_000, 0, 1) };
const dayPrefixes = new Map<number, string>();

/**
 * RFC 3339 in UTC with milliseconds: `2024-06-20T01:02:03.456Z`, exactly as toISOString. A
 * listing of 500,000 outages formats 1.5 million times, so each day's date part is made once.
 */
export function formatTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < FOUR_DIGIT_YEARS.min || ms >= FOUR_DIGIT_YEARS.max) {
    return new Date(ms).toISOString();
  }
  const day = Math.floor(ms / MS_PER_DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    prefix = new Date(day * MS_PER_DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  let rest = ms - day * MS_PER_DAY;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${prefix}${two(hours)}:${two(minutes)}:${two(seconds)}.${three(millis)}Z`;
}

function two(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}

function three(value: number): string {
  return value < 10 ? `00${value}` : value < 100 ? `0${value}` : `${value}`;
}

const MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration for people, never rounded up (a 59.9 s outage is not "1m"), at most 3 units:
 * - under 1 s: milliseconds as a fraction, `0.4s`, `0.042s`, `0s`;
 * - under 10 s: tenths, `5s`, `5.2s`; under 1 min: whole seconds, `13s`;
 * - under 1 h: `13m 5s`; under 1 d: `4h 13m` (seconds dropped); longer: `2d 4h 13m`.
 * Units that are zero are left out (`1h`, `2d 13m`). Input is in seconds with ms precision.
 */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const ms = Math.round(Math.abs(seconds) * MS.s);
  const text = humanMs(ms);
  return seconds < 0 && ms > 0 ? `-${text}` : text;
}

function humanMs(ms: number): string {
  if (ms < MS.s) return `${ms / MS.s}s`;
  if (ms < 10 * MS.s) return `${Math.floor(ms / 100) / 10}s`;
  if (ms < MS.m) return `${Math.floor(ms / MS.s)}s`;
  if (ms < MS.h) return units(ms, [MS.m, "m"], [MS.s, "s"]);
  if (ms < MS.d) return units(ms, [MS.h, "h"], [MS.m, "m"]);
  return units(ms, [MS.d, "d"], [MS.h, "h"], [MS.m, "m"]);
}

function units(ms: number, ...sizes: [number, string][]): string {
  let rest = ms;
  const parts: string[] = [];
  for (const [size, unit] of sizes) {
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (amount > 0 || parts.length === 0) parts.push(`${amount}${unit}`);
  }
  return parts.join(" ");
}

/**
 * An outage's or transition's cause, said once: the detail alone when it already begins with
 * the reason (`status 503 not in 200-299`, not `status: status 503…`), else `reason: detail`;
 * "" when neither is known.
 */
export function causeText(reason: string | null, detail: string | null): string {
  if (reason === null || reason === "") return detail ?? "";
  if (detail === null || detail === "") return reason;
  return startsWithWord(detail, reason) ? detail : `${reason}: ${detail}`;
}

/** Whether `text` begins with `word` as a whole word (`cert_expired` also as `cert expired`). */
function startsWithWord(text: string, word: string): boolean {
  const head = text.slice(0, word.length).toLowerCase();
  if (head !== word.toLowerCase() && head !== word.toLowerCase().replace(/_/g, " ")) return false;
  return !/[\p{L}\p{N}_]/u.test(text.charAt(word.length));
}

export interface TableColumn {
  header: string;
  /** May be cut (ending in `…`) to make the table fit; never below `minWidth` (default 6). */
  shrink?: boolean;
  minWidth?: number;
  alignRight?: boolean;
}

export interface TableLayout {
  /** Default 80, a terminal's classic width. */
  maxWidth?: number;
  /** Between columns; default two spaces. */
  gap?: string;
}

const DEFAULT_MIN_WIDTH = 6;

/** `text` cut to `width` characters, the last one `…` when it was cut. */
export function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 0 ? "" : `${text.slice(0, width - 1)}…`;
}

/** Control characters (a newline in a detail) would break a line-per-row table. */
function oneLine(text: string): string {
  return text.replace(/\p{Cc}/gu, " ");
}

/**
 * A plain-text table no wider than `layout.maxWidth` if it can be: the shrinkable column with the
 * most room above its `minWidth` loses a character at a time (the rightmost first on a tie), so
 * a larger minimum protects a column. Past every minimum the table stays wider.
 */
export function renderTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
  layout: TableLayout = {},
): string {
  const { maxWidth = 80, gap = "  " } = layout;
  const cells = rows.map((row) => columns.map((_, index) => oneLine(row[index] ?? "")));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((row) => row[index]?.length ?? 0)),
  );
  fitWidths(columns, widths, maxWidth - gap.length * (columns.length - 1));
  const line = (values: readonly string[]) =>
    columns
      .map((column, index) => {
        const width = widths[index] ?? 0;
        const text = truncate(values[index] ?? "", width);
        return column.alignRight ? text.padStart(width) : text.padEnd(width);
      })
      .join(gap)
      .trimEnd();
  const header = line(columns.map((column) => column.header));
  return `${[header, ...cells.map(line)].join("\n")}\n`;
}

/** Narrows `widths` in place until the cells (gaps not counted) fit in `room`. */
function fitWidths(columns: readonly TableColumn[], widths: number[], room: number): void {
  const slack = (index: number) => {
    const column = columns[index];
    if (column?.shrink !== true) return 0;
    return (widths[index] ?? 0) - (column.minWidth ?? DEFAULT_MIN_WIDTH);
  };
  let excess = widths.reduce((sum, width) => sum + width, 0) - room;
  while (excess > 0) {
    let loosest = -1;
    for (let index = 0; index < columns.length; index++) {
      if (slack(index) > 0 && (loosest < 0 || slack(index) >= slack(loosest))) loosest = index;
    }
    if (loosest < 0) return;
    widths[loosest] = (widths[loosest] ?? 0) - 1;
    excess -= 1;
  }
}

/** A GitHub-flavoured markdown table; `|` in cells escaped, nothing cut. */
export function renderMarkdownTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
): string {
  const cell = (text: string) => oneLine(text).replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
  const line = (values: readonly string[]) => `| ${values.map(cell).join(" | ")} |`;
  const rule = `|${columns.map((c) => (c.alignRight ? " ---: " : " --- ")).join("|")}|`;
  const body = rows.map((row) => line(columns.map((_, index) => row[index] ?? "")));
  return `${[line(columns.map((c) => c.header)), rule, ...body].join("\n")}\n`;
}

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Lines of CSV, header first, each ending in `\n`. */
export function renderCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return csvLines([header, ...rows]);
}

/** Lines of CSV, each ending in `\n`: renderCsv's body, for output written in parts. */
export function csvLines(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => `${row.map(csvField).join(",")}\n`).join("");
}

/** Seconds with exactly three decimals: what CSV readers get, ms precision and no float noise. */
export function secondsText(seconds: number): string {
  return seconds.toFixed(3);
}

/** An outage as the API and `pantau outages --format json` give it: snake_case, RFC 3339 ms. */
export interface OutageJson {
  instance: string;
  target: string;
  service: string;
  site: string;
  start: string;
  /** null while open. */
  end: string | null;
  detected_at: string;
  duration_seconds: number;
  blind_seconds: number;
  reason: string | null;
  detail: string | null;
  blocked_by: string | null;
  /** When the blocking dependency recovered and the outage became the target's own. */
  blocked_until: string | null;
  maintenance: boolean;
  end_reason: string | null;
  /** Start of the last non-failed probe before the first failed one: the outage began after it. */
  last_ok_at: string | null;
  /** Start of the last failed probe: the outage ended after it (null while open). */
  last_failed_at: string | null;
}

export function outageJson(outage: OutageFacts): OutageJson {
  return {
    instance: outage.instance,
    target: outage.targetId,
    service: outage.service,
    site: outage.site,
    start: formatTime(outage.start),
    end: outage.end === null ? null : formatTime(outage.end),
    detected_at: formatTime(outage.detectedAt),
    duration_seconds: outage.durationSeconds,
    blind_seconds: outage.blindSeconds,
    reason: outage.reason,
    detail: outage.detail,
    blocked_by: outage.blockedBy,
    blocked_until: outage.blockedUntil === null ? null : formatTime(outage.blockedUntil),
    maintenance: outage.maintenance,
    end_reason: outage.endReason,
    last_ok_at: outage.lastOkAt === null ? null : formatTime(outage.lastOkAt),
    last_failed_at: outage.lastFailedAt === null ? null : formatTime(outage.lastFailedAt),
  };
}
