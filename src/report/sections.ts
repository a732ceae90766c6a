import type { IncidentReport } from "../ledger/figures/incident.js";
import type { IncidentSummary } from "../ledger/figures/incident-outages.js";
import type { OutageFacts } from "../ledger/figures/outage-facts.js";
import type { MonitorGap, MonitorGapKind } from "../ledger/figures/unwatched.js";
import type { AvailabilitySummary } from "../ledger/window-summary.js";
import { causeText } from "../text/cause.js";
import { humanDuration } from "../text/duration.js";
import { count, percent } from "../text/numbers.js";
import type { TableColumn } from "../text/table.js";
import { formatTime } from "../text/time.js";
import {
  nameText,
  optionalDuration,
  plural,
  type ReportDocument,
  type ReportSection,
  section,
  tableSection,
} from "./document.js";
import { quorumSections } from "./quorum-sections.js";
import { restorationSections } from "./restoration-sections.js";

/**
 * The words and tables of a post-incident report, once: markdown.ts and html.ts only lay them
 * out, so both formats say exactly the same. Pure; every time is RFC 3339 UTC.
 */

export function reportDocument(incident: IncidentReport): ReportDocument {
  const { since, until } = incident.window;
  const { numbers } = incident;
  return {
    title: `Incident report: ${formatTime(since)} to ${formatTime(until)}`,
    paragraphs: introParagraphs(incident),
    sections: [
      section("summary", "Summary", [], summaryItems(incident)),
      ...restorationSections(incident.restoration),
      figuresSection("services", "By service", "service", numbers.services, (g) => g.service),
      figuresSection("sites", "By site", "site", numbers.sites, (g) => g.site),
      targetsSection(incident),
      outagesSection(incident),
      ...(incident.quorum === undefined ? [] : quorumSections(incident.quorum)),
      gapsSection(incident.gaps),
      transitionsSection(incident),
    ],
  };
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
    observationParagraph(incident),
    maintenance,
    "Down and degraded: the time a target was seen in that state (a group's: summed over its " +
      "targets). Not observed: before pantau first ran, no daemon running, the monitor blind, " +
      "or the target's state unknown. Availability is (up + degraded) / (up + degraded + " +
      "down): neither what was not observed nor maintenance counts.",
  ];
}

/** Where the ledger's observation starts, against the window's start. */
function observationParagraph(incident: IncidentReport): string {
  const { firstObservation, window } = incident;
  if (firstObservation === null) {
    return "The ledger holds no run of pantau: nothing in the window was observed.";
  }
  const first = formatTime(firstObservation);
  if (firstObservation <= window.since) {
    return firstObservation === window.since
      ? `The window starts at the ledger's first observation, pantau's first run at ${first}.`
      : `The ledger's first observation is pantau's first run at ${first}, before the window.`;
  }
  const before = Math.min(firstObservation, window.until) - window.since;
  return (
    `The ledger's first observation is pantau's first run at ${first}: the ` +
    `${humanDuration(before / 1000)} of the window before it are not observed, and drawn so.`
  );
}

function summaryItems(incident: IncidentReport): string[] {
  const { summary, numbers } = incident;
  const total = numbers.total;
  const windowSeconds = (incident.window.until - incident.window.since) / 1000;
  return [
    ...outageItems(summary, total.targetCount, windowSeconds),
    `Degraded: ${plural(summary.degradedTargetCount, "target")} at some time in the window.`,
    `Availability of all targets: ${percent(total.availability)}; summed over targets, ` +
      `down ${humanDuration(total.downSeconds)}, degraded ${humanDuration(total.degradedSeconds)}, ` +
      `not observed ${humanDuration(notObservedSeconds(total))}; ` +
      `${plural(total.outageCount, "outage")}, MTTR ${optionalDuration(total.mttrSeconds)}.`,
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
  const cause = causeOf(outage);
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
  const kinds = [...new Set(gaps.map((gap) => GAP_KINDS[gap.kind]))].join(", ");
  return `Monitor not watching: ${plural(gaps.length, "gap")} (${kinds}), ${humanDuration(seconds / 1000)} in all.`;
}

/** How a monitor gap's kind reads. */
const GAP_KINDS: Record<MonitorGapKind, string> = {
  restart: "restart",
  blind: "blind",
  stopped: "stopped",
  "not-started": "before the first run",
};

/** What an SRE compares across services, sites and targets after an incident. */
const FIGURE_COLUMNS: readonly TableColumn[] = [
  { header: "availability", alignRight: true },
  { header: "down", alignRight: true },
  { header: "degraded", alignRight: true },
  { header: "not observed", alignRight: true },
  { header: "maintenance", alignRight: true },
  { header: "outages", alignRight: true },
  { header: "longest", alignRight: true },
  { header: "MTTR", alignRight: true },
];

function figureCells(figures: AvailabilitySummary): string[] {
  return [
    percent(figures.availability),
    humanDuration(figures.downSeconds),
    humanDuration(figures.degradedSeconds),
    humanDuration(notObservedSeconds(figures)),
    humanDuration(figures.maintenanceSeconds),
    String(figures.outageCount),
    humanDuration(figures.longestOutageSeconds),
    optionalDuration(figures.mttrSeconds),
  ];
}

/** Blind (no daemon watching, or every canary failing) and unknown (no verdict) time. */
function notObservedSeconds(figures: AvailabilitySummary): number {
  return figures.blindSeconds + figures.unknownSeconds;
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
    // in time order: the failure began in (last ok, start], ended in (last failed, end]
    { header: "last ok" },
    { header: "start" },
    { header: "last failed" },
    { header: "end" },
    { header: "duration", alignRight: true },
    { header: "not observed", alignRight: true },
    { header: "cause", shrink: true },
    { header: "blocked by", shrink: true },
    { header: "maintenance" },
  ];
  const rows = outages.map((o) => [
    o.targetId,
    boundText(o.lastOkAt, o.start),
    formatTime(o.start),
    boundText(o.lastFailedAt, o.end ?? o.start),
    endText(o),
    humanDuration(o.durationSeconds),
    humanDuration(o.blindSeconds),
    causeOf(o) || "-",
    blockedByText(o),
    o.maintenance ? "yes" : "no",
  ]);
  const found = tableSection("outages", "Outages", { columns, rows }, "No outages in the window.");
  if (rows.length > 0) {
    found.paragraphs.push(
      "Start is the first failed probe and end the first good one; last ok and last failed " +
        "are the probes just before them, where the ledger has them: the failure began after " +
        "the last ok probe, and ended after the last failed one.",
    );
  }
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
    nameText(gap.instance),
    GAP_KINDS[gap.kind],
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
    { header: "cause", shrink: true },
    { header: "blocked by" },
  ];
  const rows = transitions.map((t) => [
    formatTime(t.at),
    t.targetId,
    `${t.from} → ${t.to}`,
    causeOf(t) || "-",
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

function causeOf(fact: { reason: string | null; detail: string | null }): string {
  return causeText(fact.reason, fact.detail);
}

/** The dependency, and when it recovered if the target stayed down after it. */
function blockedByText(outage: OutageFacts): string {
  if (outage.blockedBy === null) return "-";
  if (outage.blockedUntil === null) return outage.blockedBy;
  return `${outage.blockedBy} until ${formatTime(outage.blockedUntil)}`;
}

/**
 * The probe before a change (`last ok`, `last failed`), "-" where the ledger has none; its date
 * is left out when it is the change's own.
 */
function boundText(bound: number | null, at: number): string {
  if (bound === null) return "-";
  const before = formatTime(bound);
  return before.slice(0, 11) === formatTime(at).slice(0, 11) ? before.slice(11, 23) : before;
}

function endText(outage: OutageFacts): string {
  return outage.end === null ? "open" : formatTime(outage.end);
}
