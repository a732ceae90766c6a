import type { IncidentReport } from "../ledger/figures/incident.js";
import { count } from "../text/numbers.js";
import type { ReportSection, ReportTable } from "./document.js";
import { reportDocument } from "./sections.js";
import { escapeXml as escapeHtml, renderTimelineSvg } from "./timeline-svg.js";

/**
 * `pantau report --format html`: one self-contained page (inline CSS and SVG, no scripts, no
 * external assets; its Content-Security-Policy forbids loading any) with the markdown report's
 * words and tables, and the timeline picture after the summary.
 */
export function renderIncidentHtml(incident: IncidentReport): string {
  const document = reportDocument(incident);
  const sections = document.sections.flatMap((section) =>
    section.id === "summary"
      ? [sectionHtml(section), timelineSection(incident)]
      : [sectionHtml(section)],
  );
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    // an empty icon, or the browser asks the (absent) server for /favicon.ico
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(document.title)}</title>`,
    `<style>\n${STYLE}</style>`,
    "</head>",
    "<body>",
    "<main>",
    `<h1>${textHtml(document.title)}</h1>`,
    ...document.paragraphs.map((paragraph) => `<p>${textHtml(paragraph)}</p>`),
    ...sections,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `:root { color-scheme: light; }
body { margin: 0; background: #ffffff; color: #222222;
  font: 15px/1.45 "DejaVu Sans", Verdana, Helvetica, Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #dddddd; padding-bottom: 4px; }
p, li { max-width: 75ch; overflow-wrap: break-word; }
time { white-space: nowrap; }
ul { padding-left: 22px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top;
  white-space: nowrap; }
th { background: #f4f4f4; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { white-space: normal; overflow-wrap: break-word; min-width: 16ch; }
tbody tr:nth-child(even) { background: #fafafa; }
figure { margin: 0; }
.timeline-scroll { overflow-x: auto; }
.timeline-scroll svg { display: block; max-width: none; }
figcaption { font-size: 13px; color: #555555; margin-top: 6px; }
`;

function sectionHtml(section: ReportSection): string {
  const parts = [
    `<section id="${escapeHtml(section.id)}">`,
    `<h2>${escapeHtml(section.heading)}</h2>`,
  ];
  parts.push(...section.paragraphs.map((paragraph) => `<p>${textHtml(paragraph)}</p>`));
  if (section.items.length > 0) {
    parts.push("<ul>", ...section.items.map((item) => `<li>${textHtml(item)}</li>`), "</ul>");
  }
  if (section.table !== null) parts.push(tableHtml(section.table));
  parts.push("</section>");
  return parts.join("\n");
}

function tableHtml(table: ReportTable): string {
  const classes = table.columns.map((column) =>
    column.alignRight === true ? ' class="num"' : column.shrink === true ? ' class="text"' : "",
  );
  const cell = (tag: "th" | "td", value: string, index: number) => {
    // th never wraps: only a wrapping cell's text gets the class
    const attribute = tag === "th" && classes[index] === ' class="text"' ? "" : classes[index];
    return `<${tag}${attribute ?? ""}>${textHtml(value)}</${tag}>`;
  };
  const header = table.columns.map((column, index) => cell("th", column.header, index)).join("");
  const rows = table.rows.map((row) => `<tr>${row.map((v, i) => cell("td", v, i)).join("")}</tr>`);
  return [
    '<div class="table-wrap">',
    "<table>",
    `<thead><tr>${header}</tr></thead>`,
    "<tbody>",
    ...rows,
    "</tbody>",
    "</table>",
    "</div>",
  ].join("\n");
}

/**
 * Escaped text with each RFC 3339 time in a `<time>` that never wraps: a narrow screen breaks
 * a line between times, not inside a date.
 */
function textHtml(value: string): string {
  return escapeHtml(value).replace(RFC3339, (time) => `<time datetime="${time}">${time}</time>`);
}

const RFC3339 = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g;

function timelineSection(incident: IncidentReport): string {
  const caption =
    "The monitor's own row, then one row per target, grouped by service; within a service, " +
    "targets in the order they came back up. Hover a span for its target, state, times and " +
    "duration. Thin green: up; orange: degraded; vermillion: down, hatched where a " +
    "dependency was down; hatched grey: not observed (pantau not running yet or stopped, " +
    "blind, or the state unknown), never drawn as up." +
    (incident.timeline.length < incident.timelineTargetCount
      ? ` Shown: the ${count(incident.timeline.length)} targets with the most outage time of ` +
        `${count(incident.timelineTargetCount)}.`
      : "");
  return [
    '<section id="timeline">',
    "<h2>Timeline</h2>",
    "<figure>",
    '<div class="timeline-scroll">',
    renderTimelineSvg(incident.timeline, incident.window, incident.monitorTimeline).trimEnd(),
    "</div>",
    `<figcaption>${escapeHtml(caption)}</figcaption>`,
    "</figure>",
    "</section>",
  ].join("\n");
}
