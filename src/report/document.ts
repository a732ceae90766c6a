import { humanDuration, type TableColumn } from "./format.js";

/**
 * The shape of a report's words and tables, which markdown.ts and html.ts lay out, and the
 * small text helpers the sections share.
 */

export interface ReportTable {
  /** `shrink`: html may wrap the column's cells (free text); others stay on one line. */
  columns: readonly TableColumn[];
  rows: string[][];
}

export interface ReportSection {
  /** A stable id (html anchors; where html puts the timeline). */
  id: string;
  heading: string;
  paragraphs: string[];
  /** A bulleted list. */
  items: string[];
  table: ReportTable | null;
}

export interface ReportDocument {
  title: string;
  paragraphs: string[];
  sections: ReportSection[];
}

export function section(
  id: string,
  heading: string,
  paragraphs: string[],
  items: string[] = [],
  table: ReportTable | null = null,
): ReportSection {
  return { id, heading, paragraphs, items, table };
}

/** A section with a table, or a sentence saying there is nothing to tabulate. */
export function tableSection(id: string, heading: string, table: ReportTable, none: string) {
  return table.rows.length === 0
    ? section(id, heading, [none])
    : section(id, heading, [], [], table);
}

export function nameText(name: string): string {
  return name === "" ? "-" : name;
}

export function optionalDuration(seconds: number | null): string {
  return seconds === null ? "-" : humanDuration(seconds);
}

/**
 * Three decimals, never rounded up: 99.9996 % is not 100 %. The epsilon keeps float noise
 * (0.29 * 1e5 = 28999.999…) from cutting a digit off.
 */
export function percent(availability: number | null): string {
  if (availability === null) return "n/a";
  return `${(Math.floor(availability * 100_000 + 1e-6) / 1000).toFixed(3)}%`;
}

/** 1,000,000: counts large enough to need reading aids. */
export function count(value: number): string {
  // whole numbers by hand, as en-US groups them: toLocaleString's first call loads ICU's
  // locale data, ≈ 10 ms of a report
  if (!Number.isSafeInteger(value)) return value.toLocaleString("en-US");
  const digits = String(Math.abs(value));
  let grouped = digits.slice(0, digits.length % 3 || 3);
  for (let i = grouped.length; i < digits.length; i += 3) grouped += `,${digits.slice(i, i + 3)}`;
  return value < 0 ? `-${grouped}` : grouped;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
