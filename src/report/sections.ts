import type { AvailabilitySummary } from "../ledger/outages.js";
import { formatTime, humanDuration, type TableColumn } from "./format.js";
import type { IncidentReport, IncidentSummary, MonitorGap } from "./incident.js";
import type { OutageFacts } from "./numbers.js";

/**
 * The words and tables of a post-incident report, once: markdown.ts and html.ts only lay them
 * out, so both formats say exactly the same. Pure; every time is RFC 3339 UTC.
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

export function reportDocument(incident: IncidentReport): ReportDocument {
  const { since, until } = incident.window;
  const { numbers } = incident;
  return {
    title: `Incident report: ${formatTime(since)} to ${formatTime(until)}`,
    paragraphs: introParagraphs(incident),
    sections: [
      section("summary", "Summary", [], summaryItems(incident)),
      figuresSection("services", "By service", "service", numbers.services, (g) => g.service),
      figuresSection("sites", "By site", "site", numbers.sites, (g) => g.site),
      targetsSection(incident),
      outagesSection(incident),
      gapsSection(incident.gaps),
      transitionsSection(incident),
    ],
  };
}

function section(
  id: string,
  heading: string,
  paragraphs: string[],
  items: string[] = [],
  table: ReportTable | null = null,
): ReportSection {
  return { id, heading, paragraphs, items, table };
}

/** A section with a table, or a sentence saying there is nothing to tabulate. */
function tableSection(id: string, heading: string, table: ReportTable, none: string) {
  return table.rows.length === 0
    ? section(id, heading, [none])
    : section(id, heading, [], [], table);
}

function introParagraphs(incident: IncidentReport): string[] {
  const { targetId, service, site, instance } = incident.filter;
  const named = { target: targetId, service, site, instance };
  const selectors = Object.entries(named).flatMap(([what, name]) =>
    name === undefined ? [] : [`${what} ${name}`],
  );
  const count = incident.numbers.total.targetCount;
  const scope = selectors.length === 0 ? "every target" : selectors.join(", ");
  const maintenance =
    incident.maintenanceSource === "config"
      ? "Maintenance comes from the configuration's windows and is left out of availability, " +
        "as is the time the monitor was not watching."
      : "Maintenance windows are not in the ledger, so none is left out of availability " +
        "(give --config for that); outages that overlapped a window are marked. " +
        "Time the monitor was not watching is left out.";
  return [
    `Times are UTC. Generated ${formatTime(incident.generatedAt)} from the pantau ledger ` +
      `for ${scope}: ${plural(count, "target")} with a known state in the window.`,
    maintenance,
  ];
}

function summaryItems(incident: IncidentReport): string[] {
  const { summary, numbers } = incident;
  const total = numbers.total;
  const windowSeconds = (incident.window.until - incident.window.since) / 1000;
  return [
    ...outageItems(summary, total.targetCount, windowSeconds),
    `Degraded: ${plural(summary.degradedTargetCount, "target")} at some time in the window.`,
    `Availability of all targets: ${percent(total.availability)}, ` +
      `${plural(total.outageCount, "outage")}, outage time ${humanDuration(total.totalOutageSeconds)}, ` +
      `MTTR ${optionalDuration(total.mttrSeconds)}.`,
    gapsItem(incident.gaps, incident.window.until),
  ];
}

function outageItems(summary: IncidentSummary, targets: number, windowSeconds: number): string[] {
  const { firstFailure, lastRecovery, longest, openAtEnd } = summary;
  if (firstFailure === null || longest === null) return ["No outages in the window."];
  const open = openAtEnd.map((o) => `${o.targetId} (down since ${formatTime(o.start)})`);
  return [
    `First failure: ${formatTime(firstFailure.start)}, ${describe(firstFailure)}.`,
    lastRecovery === null
      ? "Last recovery: none in the window."
      : `Last recovery: ${formatTime(lastRecovery.end ?? 0)}, ${lastRecovery.targetId}.`,
    `Still down at the end: ${open.length === 0 ? "none" : open.join(", ")}.`,
    `Impact: ${summary.affectedTargetCount} of ${plural(targets, "target")} had an outage; ` +
      `at least one was down for ${humanDuration(summary.impactSeconds)} ` +
      `of the ${humanDuration(windowSeconds)} window.`,
    `Longest outage: ${longest.targetId}, ${humanDuration(longest.durationSeconds)} ` +
      `(${formatTime(longest.start)} to ${endText(longest)})${blockedText(longest)}.`,
  ];
}

function describe(outage: OutageFacts): string {
  const where = [outage.service, outage.site].filter((name) => name !== "").join(", ");
  const cause = causeText(outage);
  return `${outage.targetId}${where === "" ? "" : ` (${where})`}${cause === "" ? "" : `: ${cause}`}`;
}

function blockedText(outage: OutageFacts): string {
  if (outage.blockedBy === null) return "";
  const until = outage.blockedUntil === null ? "" : ` until ${formatTime(outage.blockedUntil)}`;
  return `, blocked by ${outage.blockedBy}${until}`;
}

function gapsItem(gaps: readonly MonitorGap[], until: number): string {
  if (gaps.length === 0) return "Monitor: watching throughout.";
  const seconds = gaps.reduce(
    (sum, gap) => sum + (Math.min(gap.end ?? until, until) - gap.start),
    0,
  );
  const kinds = [...new Set(gaps.map((gap) => gap.kind))].join(", ");
  return `Monitor not watching: ${plural(gaps.length, "gap")} (${kinds}), ${humanDuration(seconds / 1000)} in all.`;
}

const FIGURE_COLUMNS: readonly TableColumn[] = [
  { header: "availability", alignRight: true },
  { header: "outages", alignRight: true },
  { header: "outage time", alignRight: true },
  { header: "longest", alignRight: true },
  { header: "MTTR", alignRight: true },
  { header: "blind", alignRight: true },
  { header: "maintenance", alignRight: true },
];

function figureCells(figures: AvailabilitySummary): string[] {
  return [
    percent(figures.availability),
    String(figures.outageCount),
    humanDuration(figures.totalOutageSeconds),
    humanDuration(figures.longestOutageSeconds),
    optionalDuration(figures.mttrSeconds),
    humanDuration(figures.blindSeconds),
    humanDuration(figures.maintenanceSeconds),
  ];
}

function figuresSection<Group extends AvailabilitySummary & { targetCount: number }>(
  id: string,
  heading: string,
  header: string,
  groups: readonly Group[],
  nameOf: (group: Group) => string,
): ReportSection {
  const columns = [{ header }, { header: "targets", alignRight: true }, ...FIGURE_COLUMNS];
  const rows = groups.map((group) => [
    nameText(nameOf(group)),
    String(group.targetCount),
    ...figureCells(group),
  ]);
  return tableSection(id, heading, { columns, rows }, "No targets.");
}

function targetsSection(incident: IncidentReport): ReportSection {
  const instances = new Set(incident.numbers.targets.map((t) => t.instance));
  const withInstance = instances.size > 1;
  const columns = [
    { header: "target" },
    ...(withInstance ? [{ header: "instance" }] : []),
    { header: "service" },
    { header: "site" },
    ...FIGURE_COLUMNS,
  ];
  const rows = incident.numbers.targets.map((t) => [
    t.targetId,
    ...(withInstance ? [t.instance] : []),
    nameText(t.service),
    nameText(t.site),
    ...figureCells(t),
  ]);
  return tableSection("targets", "By target", { columns, rows }, "No targets.");
}

function outagesSection(incident: IncidentReport): ReportSection {
  const { outages, outageCount } = incident;
  const columns: TableColumn[] = [
    { header: "target" },
    { header: "start" },
    { header: "end" },
    { header: "duration", alignRight: true },
    { header: "cause", shrink: true },
    { header: "blocked by", shrink: true },
    { header: "maintenance" },
  ];
  const rows = outages.map((o) => [
    o.targetId,
    formatTime(o.start),
    endText(o),
    humanDuration(o.durationSeconds),
    causeText(o) || "-",
    blockedByText(o),
    o.maintenance ? "yes" : "no",
  ]);
  const found = tableSection("outages", "Outages", { columns, rows }, "No outages in the window.");
  if (outages.length < outageCount) {
    found.paragraphs.push(
      `The ${count(outages.length)} longest of ${count(outageCount)} outages in the window, by ` +
        "start; pantau outages over the same range lists every one.",
    );
  }
  return found;
}

function gapsSection(gaps: readonly MonitorGap[]): ReportSection {
  const columns: TableColumn[] = [
    { header: "instance" },
    { header: "kind" },
    { header: "start" },
    { header: "end" },
    { header: "duration", alignRight: true },
  ];
  const rows = gaps.map((gap) => [
    gap.instance,
    gap.kind,
    formatTime(gap.start),
    gap.end === null ? "open" : formatTime(gap.end),
    gap.end === null ? "-" : humanDuration((gap.end - gap.start) / 1000),
  ]);
  const none = "None: the monitor was watching throughout.";
  return tableSection("gaps", "Monitor gaps", { columns, rows }, none);
}

function transitionsSection(incident: IncidentReport): ReportSection {
  const { transitions, transitionCount } = incident;
  const columns: TableColumn[] = [
    { header: "time" },
    { header: "target" },
    { header: "from → to" },
    { header: "reason" },
    { header: "detail", shrink: true },
    { header: "blocked by" },
  ];
  const rows = transitions.map((t) => [
    formatTime(t.at),
    t.targetId,
    `${t.from} → ${t.to}`,
    t.reason ?? "-",
    t.detail ?? "-",
    t.blockedBy ?? "-",
  ]);
  const none = "No transitions in the window.";
  const found = tableSection("transitions", "Transitions", { columns, rows }, none);
  if (transitions.length < transitionCount) {
    found.paragraphs.push(
      `The newest ${count(transitions.length)} of ${count(transitionCount)} transitions in the ` +
        "window; a shorter range or --target, --service or --site lists the others.",
    );
  }
  return found;
}

function causeText(fact: { reason: string | null; detail: string | null }): string {
  return [fact.reason, fact.detail].filter((part) => part !== null && part !== "").join(": ");
}

/** The dependency, and when it recovered if the target stayed down after it. */
function blockedByText(outage: OutageFacts): string {
  if (outage.blockedBy === null) return "-";
  if (outage.blockedUntil === null) return outage.blockedBy;
  return `${outage.blockedBy} until ${formatTime(outage.blockedUntil)}`;
}

function endText(outage: OutageFacts): string {
  return outage.end === null ? "open" : formatTime(outage.end);
}

function nameText(name: string): string {
  return name === "" ? "-" : name;
}

function optionalDuration(seconds: number | null): string {
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

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
