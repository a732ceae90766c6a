/**
 * The two text formats /metrics speaks, and how values and family headers are written in each:
 * the Prometheus text format 0.0.4 (what every scraper reads) and OpenMetrics 1.0.0 (what
 * Prometheus asks for first). Both renderers (per-target series, the prom-client registry) use
 * these, so a value or a header looks the same wherever it comes from.
 */

export type ExpositionFormat = "prometheus" | "openmetrics";

export const CONTENT_TYPE: Readonly<Record<ExpositionFormat, string>> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** The last line of an OpenMetrics exposition; a scrape without it is invalid as a whole. */
export const OPENMETRICS_EOF = "# EOF\n";

export type FamilyType = "gauge" | "counter" | "histogram" | "summary";

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** HELP text: the 0.0.4 format escapes backslash and newline, OpenMetrics the quote too. */
function escapeHelp(help: string, format: ExpositionFormat): string {
  const text = help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return format === "openmetrics" ? text.replace(/"/g, '\\"') : text;
}

/** A unit OpenMetrics can name: the family name's last word, when it is one of these. */
const UNIT_SUFFIX = /_(seconds|bytes)$/;

/**
 * An OpenMetrics counter family is named without `_total` (its samples carry it); the other
 * types keep their name.
 */
export function familyName(name: string, type: FamilyType, format: ExpositionFormat): string {
  return format === "openmetrics" && type === "counter" ? name.replace(/_total$/, "") : name;
}

/**
 * `# HELP` and `# TYPE` lines (0.0.4), or `# TYPE`, `# UNIT` (when the name ends in one) and
 * `# HELP` in OpenMetrics' recommended order. `name` is the sample name (`…_total` for counters).
 */
export function familyHeader(
  name: string,
  type: FamilyType,
  help: string,
  format: ExpositionFormat,
): string {
  if (format === "prometheus") {
    return `# HELP ${name} ${escapeHelp(help, format)}\n# TYPE ${name} ${type}\n`;
  }
  const family = familyName(name, type, format);
  const unit = UNIT_SUFFIX.exec(family)?.[1];
  const unitLine = unit === undefined ? "" : `# UNIT ${family} ${unit}\n`;
  return `# TYPE ${family} ${type}\n${unitLine}# HELP ${family} ${escapeHelp(help, format)}\n`;
}

/**
 * Any value, as the Go and JavaScript clients write it: the shortest text that reads back as the
 * same number. Non-integers are first rounded to 15 significant digits (what a double holds
 * exactly), which removes the noise of float arithmetic (`0.30000000000000004`, a histogram's
 * sum of thousands of observations) and keeps every digit that was measured.
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(15)));
}

/**
 * A duration given in milliseconds, in seconds to the microsecond. Durations are differences of
 * monotonic readings, whose float noise is absolute (≈0.1 µs after days of uptime), so it is
 * rounded off at a fixed place rather than at significant digits: `0.0004129549999997835` →
 * `0.000413`. A microsecond is finer than anything a network probe or a scheduler resolves.
 */
export function durationSeconds(ms: number): number {
  return Math.round(ms * 1000) / 1_000_000;
}

/** A wall-clock time in milliseconds, as unix seconds to the millisecond (`1718845201.5`). */
export function timestampSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}

/**
 * An `le` bound as OpenMetrics wants it: Go's `%g` with `.0` added when it has no point or
 * exponent (`0.005`, `1.0`, `60.0`, `604800.0`, `1e+06`), so every exposer writes a bound alike.
 * The 0.0.4 format keeps what prom-client writes (`1`, `60`): changing a label value would
 * start new series for everyone scraping the classic format.
 */
export function bucketBound(bound: number | string, format: ExpositionFormat): string {
  if (typeof bound === "string" || format === "prometheus") return String(bound);
  if (bound === Number.POSITIVE_INFINITY) return "+Inf";
  const [mantissa, power] = bound.toExponential().split("e") as [string, string];
  const exponent = Number(power);
  // Go's %g switches to an exponent at 1e6 (shortest precision) and writes at least two digits
  const text =
    bound !== 0 && (exponent < -4 || exponent >= 6)
      ? `${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`
      : String(bound);
  return /[.e]/.test(text) ? text : `${text}.0`;
}
