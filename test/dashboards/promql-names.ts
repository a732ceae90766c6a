/**
 * Metric names in a PromQL expression, without a full parser: strings, label matchers, ranges
 * and label lists (`by (…)`, `on (…)`, …) are cut out; what is left and not followed by `(` (a
 * function or aggregation) nor a keyword is a metric name. Dashboard variables count as numbers.
 */
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "inf",
  "nan",
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{\w+(?::[^}]*)?\}|\$\w+/g, "0");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const name = match[1] as string;
    if (match[2] !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** The family a series name belongs to: histogram `_bucket`, `_sum`, `_count` cut off. */
export function familyOf(name: string, histograms: ReadonlySet<string>): string {
  const match = /^(.*)_(?:bucket|sum|count)$/.exec(name);
  return match?.[1] !== undefined && histograms.has(match[1]) ? match[1] : name;
}
