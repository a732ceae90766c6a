import type {
  MonitorRow,
  SpanKind,
  TimelineRow,
  TimelineSpan,
} from "../ledger/figures/timeline-rows.js";
import type { Window } from "../ledger/outages.js";
import { humanDuration } from "../text/duration.js";
import { formatTime } from "../text/time.js";
import { type AxisTick, axisTicks } from "./timeline-axis.js";

/**
 * The report's timeline picture, a self-contained SVG string (no scripts, fonts or links), pure
 * and deterministic: the monitor's own rows, then one row per target grouped by service (each
 * labelled with its site), a UTC time axis and a legend. Every instant of a row is drawn as
 * what the ledger knows: up is drawn, not assumed, so time nobody observed never looks up.
 * Colours are Okabe–Ito (safe for the common colour-vision deficiencies), and kinds differ in
 * shape too: up is a thin line, degraded a thicker bar, down the full bar; blocked and not
 * observed are hatched; maintenance fills the whole row behind the bars. The picture keeps its
 * width: a narrow screen scrolls it rather than shrinking its text.
 */

export const COLOURS = {
  up: "#009E73",
  down: "#D55E00",
  blockedLight: "#F3C3A6",
  degraded: "#E69F00",
  maintenance: "#56B4E9",
  unobserved: "#8C8C8C",
  unobservedLight: "#E3E3E3",
  lane: "#F7F7F7",
  grid: "#CFCFCF",
  text: "#222222",
  muted: "#555555",
} as const;

const KIND_LABELS: Record<SpanKind, string> = {
  up: "up",
  down: "down",
  blocked: "down, blocked by a dependency",
  degraded: "degraded",
  maintenance: "maintenance",
  unobserved: "not observed",
};

const WIDTH = 960;
const RIGHT = 28;
const FONT_SIZE = 12;
/** Wide enough for DejaVu Sans, the widest common fallback: labels never collide. */
const CHAR_WIDTH = 7.4;
const MAX_LABEL_CHARS = 34;
const ROW = 20;
const GROUP_HEADER = 24;
const LEGEND_TOP = 8;
const AXIS_TOP = 40;
const ROWS_TOP = 80;
const FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";

/** Where the plot is, and the time it spans. */
interface Layout {
  plotLeft: number;
  plotRight: number;
  window: Window;
}

export function renderTimelineSvg(
  rows: readonly TimelineRow[],
  window: Window,
  monitor: readonly MonitorRow[] = [],
): string {
  const withInstance = new Set(rows.map((row) => row.instance)).size > 1;
  const labels = rows.map((row) => labelOf(row, withInstance));
  const longest = Math.max(
    12,
    ...labels.map(labelLength),
    ...monitor.map((row) => row.instance.length),
  );
  const plotLeft = Math.min(300, Math.ceil(longest * CHAR_WIDTH) + 28);
  const layout: Layout = { plotLeft, plotRight: WIDTH - RIGHT, window };
  const { parts, bottom } = rowGroups(rows, labels, monitor, layout);
  const height = bottom + 12;
  const title = `Timeline of ${rows.length} target${rows.length === 1 ? "" : "s"}, ${formatTime(window.since)} to ${formatTime(window.until)} (UTC)`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeXml(title)}" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" font-size="${FONT_SIZE}" class="pantau-timeline">`,
    `<title>${escapeXml(title)}</title>`,
    definitions(),
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#FFFFFF"/>`,
    legend(),
    axis(axisTicks(window), layout, height),
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** The monitor's rows under their header, then each service's under its own. */
function rowGroups(
  rows: readonly TimelineRow[],
  labels: readonly RowLabel[],
  monitor: readonly MonitorRow[],
  layout: Layout,
): { parts: string[]; bottom: number } {
  const parts: string[] = [];
  let y = ROWS_TOP;
  const header = (name: string, className: string) => {
    parts.push(groupHeader(name, y, className));
    y += GROUP_HEADER;
  };
  if (monitor.length > 0) header("monitor (pantau itself)", "group-monitor");
  for (const row of monitor) {
    const label = { target: row.instance, site: "" };
    parts.push(laneRow(row.instance, label, row.spans, y, layout, monitorAttributes(row)));
    y += ROW;
  }
  let service: string | null = null;
  rows.forEach((row, index) => {
    if (row.service !== service) {
      header(`service ${row.service === "" ? "(no service)" : row.service}`, "group-service");
      service = row.service;
    }
    const label = labels[index] ?? { target: row.targetId, site: row.site };
    parts.push(laneRow(row.targetId, label, row.spans, y, layout, targetAttributes(row)));
    y += ROW;
  });
  if (rows.length === 0) {
    parts.push(text(24, y + 16, "No targets with a known state in the window.", { muted: true }));
    y += ROW + 8;
  }
  return { parts, bottom: y };
}

/** A row's label: the target (with its instance when several are shown), then its site. */
interface RowLabel {
  target: string;
  site: string;
}

const SITE_SEPARATOR = " · ";
/** A site name is short (an airport's code); beyond this it is cut. */
const MAX_SITE_CHARS = 12;

function labelOf(row: TimelineRow, withInstance: boolean): RowLabel {
  const target = withInstance ? `${row.targetId} @ ${row.instance}` : row.targetId;
  const site = cut(row.site, MAX_SITE_CHARS);
  const room = MAX_LABEL_CHARS - (site === "" ? 0 : SITE_SEPARATOR.length + site.length);
  return { target: cut(target, room), site };
}

function labelLength(label: RowLabel): number {
  return label.target.length + (label.site === "" ? 0 : SITE_SEPARATOR.length + label.site.length);
}

/** `value` in at most `width` characters, the last one `…` when it was cut. */
function cut(value: string, width: number): string {
  return value.length <= width ? value : `${value.slice(0, width - 1)}…`;
}

/** Hatches for the two kinds that must read apart from solid colours without colour at all. */
function definitions(): string {
  const hatch = (id: string, background: string, stripe: string, angle: number) =>
    `<pattern id="${id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(${angle})">` +
    `<rect width="6" height="6" fill="${background}"/><rect width="2.5" height="6" fill="${stripe}"/></pattern>`;
  return [
    "<defs>",
    hatch("pantau-blocked", COLOURS.blockedLight, COLOURS.down, 45),
    hatch("pantau-unobserved", COLOURS.unobservedLight, COLOURS.unobserved, -45),
    "</defs>",
  ].join("\n");
}

/** Each kind once, its swatch in its own shape (see SPAN_SHAPE). */
const LEGEND: readonly { kind: SpanKind; label: string }[] = [
  { kind: "up", label: KIND_LABELS.up },
  { kind: "degraded", label: KIND_LABELS.degraded },
  { kind: "down", label: KIND_LABELS.down },
  { kind: "blocked", label: KIND_LABELS.blocked },
  { kind: "maintenance", label: KIND_LABELS.maintenance },
  { kind: "unobserved", label: KIND_LABELS.unobserved },
];

function legend(): string {
  const parts = ['<g class="legend">'];
  let x = 12;
  for (const item of LEGEND) {
    const shape = SPAN_SHAPE[item.kind];
    const swatch = rect(x, LEGEND_TOP - 3 + shape.top * 0.9, 18, shape.height * 0.9, shape.fill);
    parts.push(
      `<g class="legend-item" data-kind="${item.kind}">`,
      swatch,
      text(x + 24, LEGEND_TOP + 11, item.label),
      "</g>",
    );
    x += 24 + Math.ceil(item.label.length * CHAR_WIDTH) + 18;
  }
  parts.push("</g>");
  return parts.join("\n");
}

function axis(ticks: readonly AxisTick[], layout: Layout, height: number): string {
  const { plotLeft, plotRight } = layout;
  const lineY = ROWS_TOP - 6;
  const parts = [
    '<g class="axis">',
    text(8, AXIS_TOP + 12, "time (UTC)", { muted: true }),
    `<line x1="${plotLeft}" y1="${lineY}" x2="${plotRight}" y2="${lineY}" stroke="${COLOURS.muted}"/>`,
  ];
  for (const tick of ticks) {
    const x = xOf(tick.at, layout);
    parts.push(
      `<line x1="${x}" y1="${lineY - 4}" x2="${x}" y2="${height - 8}" stroke="${COLOURS.grid}"/>`,
      text(x, AXIS_TOP + 12, tick.label, { anchor: "middle", attributes: 'class="tick"' }),
    );
    if (tick.sublabel !== null)
      parts.push(text(x, AXIS_TOP + 27, tick.sublabel, { muted: true, anchor: "middle" }));
  }
  parts.push("</g>");
  return parts.join("\n");
}

function groupHeader(name: string, y: number, className: string): string {
  return [
    `<line x1="8" y1="${y + 2}" x2="${WIDTH - 8}" y2="${y + 2}" stroke="#DDDDDD"/>`,
    text(8, y + 17, name, { attributes: `font-weight="bold" class="${className}"` }),
  ].join("\n");
}

function targetAttributes(row: TimelineRow): string {
  return [
    'class="target-row"',
    `data-target="${escapeXml(row.targetId)}"`,
    `data-instance="${escapeXml(row.instance)}"`,
    `data-service="${escapeXml(row.service)}"`,
    `data-site="${escapeXml(row.site)}"`,
  ].join(" ");
}

function monitorAttributes(row: MonitorRow): string {
  return `class="monitor-row" data-instance="${escapeXml(row.instance)}"`;
}

function laneRow(
  name: string,
  label: RowLabel,
  spans: readonly TimelineSpan[],
  y: number,
  layout: Layout,
  attributes: string,
): string {
  const { plotLeft, plotRight } = layout;
  const site =
    label.site === ""
      ? ""
      : `<tspan fill="${COLOURS.muted}">${escapeXml(SITE_SEPARATOR + label.site)}</tspan>`;
  return [
    `<g ${attributes}>`,
    `<text x="16" y="${y + 14}" fill="${COLOURS.text}">${escapeXml(label.target)}${site}</text>`,
    rect(plotLeft, y + 3, plotRight - plotLeft, 14, COLOURS.lane),
    ...upPath(name, spans, y, layout),
    ...spans.flatMap((span) => (span.kind === "up" ? [] : [spanRect(name, span, y, layout)])),
    "</g>",
  ].join("\n");
}

/**
 * A row's up spans as one thin line: up is most of most rows, and a month of flapping targets
 * has thousands of up spans, each no more telling than the line (the tables give the times).
 */
function upPath(name: string, spans: readonly TimelineSpan[], y: number, layout: Layout): string[] {
  const { top, height, fill } = SPAN_SHAPE.up;
  const middle = y + top + height / 2;
  const segments = spans.flatMap((span) => {
    if (span.kind !== "up") return [];
    const x = xOf(span.start, layout);
    return [`M${x} ${middle}h${round(Math.max(1, xOf(span.end, layout) - x))}`];
  });
  if (segments.length === 0) return [];
  const note = spans.find((span) => span.kind === "up")?.note;
  const tip = `${name}: up${note === null || note === undefined ? "" : ` (${note})`}`;
  return [
    `<path class="span" data-kind="up" d="${segments.join("")}" stroke="${fill}" stroke-width="${height}" fill="none">` +
      `<title>${escapeXml(tip)}</title></path>`,
  ];
}

/** Vertical extent of each kind within a row: the shape tells kinds apart without colour. */
const SPAN_SHAPE: Record<SpanKind, { top: number; height: number; fill: string }> = {
  maintenance: { top: 0, height: 20, fill: COLOURS.maintenance },
  up: { top: 8, height: 4, fill: COLOURS.up },
  degraded: { top: 5, height: 10, fill: COLOURS.degraded },
  blocked: { top: 3, height: 14, fill: "url(#pantau-blocked)" },
  down: { top: 3, height: 14, fill: COLOURS.down },
  unobserved: { top: 1, height: 18, fill: "url(#pantau-unobserved)" },
};

function spanRect(name: string, span: TimelineSpan, y: number, layout: Layout): string {
  const shape = SPAN_SHAPE[span.kind];
  const x = xOf(span.start, layout);
  // a span shorter than a pixel still shows
  const width = Math.max(1, xOf(span.end, layout) - x);
  const note = span.note === null ? "" : ` (${span.note})`;
  const tip =
    `${name}: ${KIND_LABELS[span.kind]}${note}, ${formatTime(span.start)} to ` +
    `${formatTime(span.end)}, ${humanDuration((span.end - span.start) / 1000)}`;
  return (
    `<rect class="span" data-kind="${span.kind}" x="${x}" y="${y + shape.top}" width="${round(width)}" height="${shape.height}" fill="${shape.fill}">` +
    `<title>${escapeXml(tip)}</title></rect>`
  );
}

function xOf(at: number, layout: Layout): number {
  const { plotLeft, plotRight, window } = layout;
  const fraction = (at - window.since) / (window.until - window.since);
  return round(plotLeft + Math.min(1, Math.max(0, fraction)) * (plotRight - plotLeft));
}

/** One decimal: enough for a screen, and the same text on every machine. */
function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function rect(x: number, y: number, width: number, height: number, fill: string, stroke?: string) {
  const outline = stroke === undefined ? "" : ` stroke="${stroke}"`;
  return `<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="${fill}"${outline}/>`;
}

interface TextOptions {
  muted?: boolean;
  anchor?: "middle" | "end";
  /** More attributes, already escaped. */
  attributes?: string;
  /** A tooltip. */
  title?: string;
}

function text(x: number, y: number, content: string, options: TextOptions = {}): string {
  const fill = options.muted === true ? COLOURS.muted : COLOURS.text;
  const anchor = options.anchor === undefined ? "" : ` text-anchor="${options.anchor}"`;
  const more = options.attributes === undefined ? "" : ` ${options.attributes}`;
  const title = options.title === undefined ? "" : `<title>${escapeXml(options.title)}</title>`;
  return `<text x="${x}" y="${y}" fill="${fill}"${anchor}${more}>${escapeXml(content)}${title}</text>`;
}

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => XML_ESCAPES[char] ?? char);
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};
