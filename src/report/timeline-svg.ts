import type { Window } from "../ledger/outages.js";
import { formatTime, humanDuration } from "./format.js";
import type { SpanKind, TimelineRow, TimelineSpan } from "./timeline.js";
import { type AxisTick, axisTicks } from "./timeline-axis.js";

/**
 * The report's timeline picture, a self-contained SVG string (no scripts, fonts or links), pure
 * and deterministic: one row per target grouped by service then site, a UTC time axis and a
 * legend. Colours are Okabe–Ito (safe for the common colour-vision deficiencies), and kinds
 * differ in shape too: blocked and blind are hatched, degraded is a thinner bar, maintenance
 * fills the whole row behind the bars.
 */

export const COLOURS = {
  down: "#D55E00",
  blockedLight: "#F3C3A6",
  degraded: "#E69F00",
  maintenance: "#56B4E9",
  blind: "#999999",
  blindLight: "#E3E3E3",
  lane: "#F2F2F2",
  grid: "#CFCFCF",
  text: "#222222",
  muted: "#555555",
} as const;

const KIND_LABELS: Record<SpanKind, string> = {
  down: "down",
  blocked: "down, blocked by a dependency",
  degraded: "degraded",
  maintenance: "maintenance",
  blind: "monitor not watching",
};

const WIDTH = 960;
const RIGHT = 28;
const FONT_SIZE = 12;
/** Wide enough for DejaVu Sans, the widest common fallback: labels never collide. */
const CHAR_WIDTH = 7.4;
const MAX_LABEL_CHARS = 34;
const ROW = 20;
const SERVICE_HEADER = 24;
const SITE_HEADER = 18;
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

export function renderTimelineSvg(rows: readonly TimelineRow[], window: Window): string {
  const withInstance = new Set(rows.map((row) => row.instance)).size > 1;
  const labels = rows.map((row) => labelOf(row, withInstance));
  const longest = Math.max(12, ...labels.map((label) => label.length));
  const plotLeft = Math.min(300, Math.ceil(longest * CHAR_WIDTH) + 36);
  const layout: Layout = { plotLeft, plotRight: WIDTH - RIGHT, window };
  const body: string[] = [];
  let y = ROWS_TOP;
  let service: string | null = null;
  let site: string | null = null;
  rows.forEach((row, index) => {
    if (row.service !== service) {
      body.push(serviceHeader(row.service, y));
      y += SERVICE_HEADER;
      [service, site] = [row.service, null];
    }
    if (row.site !== site) {
      body.push(siteHeader(row.site, y));
      y += SITE_HEADER;
      site = row.site;
    }
    body.push(targetRow(row, labels[index] ?? row.targetId, y, layout));
    y += ROW;
  });
  if (rows.length === 0) {
    body.push(text(24, y + 16, "No targets with a known state in the window.", { muted: true }));
    y += ROW + 8;
  }
  const height = y + 12;
  const ticks = axisTicks(window, (layout.plotRight - plotLeft) / 80);
  const title = `Timeline of ${rows.length} target${rows.length === 1 ? "" : "s"}, ${formatTime(window.since)} to ${formatTime(window.until)} (UTC)`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeXml(title)}" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" font-size="${FONT_SIZE}" class="pantau-timeline">`,
    `<title>${escapeXml(title)}</title>`,
    definitions(),
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#FFFFFF"/>`,
    legend(),
    axis(ticks, layout, height),
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

function labelOf(row: TimelineRow, withInstance: boolean): string {
  const label = withInstance ? `${row.targetId} @ ${row.instance}` : row.targetId;
  return label.length <= MAX_LABEL_CHARS ? label : `${label.slice(0, MAX_LABEL_CHARS - 1)}…`;
}

/** Hatches for the two kinds that must read apart from solid colours without colour at all. */
function definitions(): string {
  const hatch = (id: string, background: string, stripe: string, angle: number) =>
    `<pattern id="${id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(${angle})">` +
    `<rect width="6" height="6" fill="${background}"/><rect width="2.5" height="6" fill="${stripe}"/></pattern>`;
  return [
    "<defs>",
    hatch("pantau-blocked", COLOURS.blockedLight, COLOURS.down, 45),
    hatch("pantau-blind", COLOURS.blindLight, COLOURS.blind, -45),
    "</defs>",
  ].join("\n");
}

const LEGEND: readonly { label: string; swatch: (x: number, y: number) => string }[] = [
  {
    label: "up (nothing wrong)",
    swatch: (x, y) => rect(x, y + 2, 18, 10, COLOURS.lane, "#BBBBBB"),
  },
  { label: "down", swatch: (x, y) => rect(x, y + 2, 18, 10, COLOURS.down) },
  {
    label: "down, blocked by a dependency",
    swatch: (x, y) => rect(x, y + 2, 18, 10, "url(#pantau-blocked)"),
  },
  { label: "degraded", swatch: (x, y) => rect(x, y + 4, 18, 6, COLOURS.degraded) },
  { label: "maintenance", swatch: (x, y) => rect(x, y, 18, 14, COLOURS.maintenance) },
  { label: "monitor not watching", swatch: (x, y) => rect(x, y, 18, 14, "url(#pantau-blind)") },
];

function legend(): string {
  const parts = ['<g class="legend">'];
  let x = 12;
  for (const item of LEGEND) {
    parts.push(item.swatch(x, LEGEND_TOP), text(x + 24, LEGEND_TOP + 11, item.label));
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
      text(x, AXIS_TOP + 12, tick.label, { anchor: "middle" }),
    );
    if (tick.sublabel !== null)
      parts.push(text(x, AXIS_TOP + 27, tick.sublabel, { muted: true, anchor: "middle" }));
  }
  parts.push("</g>");
  return parts.join("\n");
}

function serviceHeader(service: string, y: number): string {
  const name = service === "" ? "(no service)" : service;
  return [
    `<line x1="8" y1="${y + 2}" x2="${WIDTH - 8}" y2="${y + 2}" stroke="#DDDDDD"/>`,
    text(8, y + 17, `service ${name}`, { attributes: 'font-weight="bold" class="group-service"' }),
  ].join("\n");
}

function siteHeader(site: string, y: number): string {
  const name = site === "" ? "(no site)" : site;
  return text(16, y + 13, `site ${name}`, {
    muted: true,
    attributes: 'font-size="11" class="group-site"',
  });
}

function targetRow(row: TimelineRow, label: string, y: number, layout: Layout): string {
  const { plotLeft, plotRight } = layout;
  const attributes = [
    `data-target="${escapeXml(row.targetId)}"`,
    `data-instance="${escapeXml(row.instance)}"`,
    `data-service="${escapeXml(row.service)}"`,
    `data-site="${escapeXml(row.site)}"`,
  ].join(" ");
  return [
    `<g class="target-row" ${attributes}>`,
    text(28, y + 14, label, { title: `${row.targetId} (instance ${row.instance})` }),
    rect(plotLeft, y + 3, plotRight - plotLeft, 14, COLOURS.lane),
    ...row.spans.map((span) => spanRect(row, span, y, layout)),
    "</g>",
  ].join("\n");
}

/** Vertical extent of each kind within a row: the shape tells kinds apart without colour. */
const SPAN_SHAPE: Record<SpanKind, { top: number; height: number; fill: string }> = {
  maintenance: { top: 0, height: 20, fill: COLOURS.maintenance },
  degraded: { top: 6, height: 8, fill: COLOURS.degraded },
  blocked: { top: 3, height: 14, fill: "url(#pantau-blocked)" },
  down: { top: 3, height: 14, fill: COLOURS.down },
  blind: { top: 1, height: 18, fill: "url(#pantau-blind)" },
};

function spanRect(row: TimelineRow, span: TimelineSpan, y: number, layout: Layout): string {
  const shape = SPAN_SHAPE[span.kind];
  const x = xOf(span.start, layout);
  // a span shorter than a pixel still shows
  const width = Math.max(1, xOf(span.end, layout) - x);
  const note = span.note === null ? "" : ` (${span.note})`;
  const tip =
    `${row.targetId}: ${KIND_LABELS[span.kind]}${note}, ${formatTime(span.start)} to ` +
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
