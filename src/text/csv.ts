/** CSV (RFC 4180) for tools: fields, lines, and seconds with exactly three decimals. */

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
