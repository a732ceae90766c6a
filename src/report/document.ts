import { humanDuration } from "../text/duration.js";
import type { TableColumn } from "../text/table.js";

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

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
