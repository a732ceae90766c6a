/** Tables for terminals (plain text, cut to fit) and for markdown (nothing cut). */

export interface TableColumn {
  header: string;
  /** May be cut (ending in `…`) to make the table fit; never below `minWidth` (default 6). */
  shrink?: boolean;
  minWidth?: number;
  /** Shrinks only once every other shrinkable column is at its minimum (ids a reader copies). */
  cutLast?: boolean;
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
    cells.reduce((max, row) => Math.max(max, row[index]?.length ?? 0), column.header.length),
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
  shrinkWidths(columns, widths, room, (column) => column.cutLast !== true);
  shrinkWidths(columns, widths, room, () => true);
}

function shrinkWidths(
  columns: readonly TableColumn[],
  widths: number[],
  room: number,
  mayCut: (column: TableColumn) => boolean,
): void {
  const slack = (index: number) => {
    const column = columns[index];
    if (column?.shrink !== true || !mayCut(column)) return 0;
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
