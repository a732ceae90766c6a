import type { QuorumView } from "../ledger/figures/quorum-view.js";
import { humanDuration } from "../text/duration.js";
import type { TableColumn } from "../text/table.js";
import { formatTime } from "../text/time.js";
import { type ReportSection, tableSection } from "./document.js";

/** A quorum group's report: the vantage × target matrix and the disagreements. */
export function quorumSections(view: QuorumView): ReportSection[] {
  const downText = (seconds: number) => (seconds === 0 ? "-" : humanDuration(seconds));
  const matrix = tableSection(
    "vantages",
    `Vantages of quorum group ${view.group}`,
    {
      columns: [
        { header: "target" },
        { header: "group down", alignRight: true },
        ...view.vantages.map((v): TableColumn => ({ header: v, alignRight: true })),
      ],
      rows: view.rows.map((r) => [
        r.targetId,
        downText(r.groupDownSeconds),
        ...r.vantageDownSeconds.map(downText),
      ]),
    },
    "No target was down for the group or any of its vantages in the window.",
  );
  if (view.rows.length > 0) {
    matrix.paragraphs.push(
      "Down time in the window: for the group (its verdict: down while min_down vantages see " +
        "the target down) and as each vantage saw it.",
    );
  }
  const disagreements = tableSection(
    "disagreements",
    "Disagreements",
    {
      columns: [
        { header: "target" },
        { header: "vantage" },
        { header: "start" },
        { header: "end" },
        { header: "in window", alignRight: true },
      ],
      rows: view.disagreements.map((d) => [
        d.targetId,
        d.vantage,
        formatTime(d.start),
        d.end === null ? "open" : formatTime(d.end),
        humanDuration(d.seconds),
      ]),
    },
    "None: no vantage saw a target down that the group did not.",
  );
  if (view.disagreements.length > 0) {
    disagreements.paragraphs.push(
      "Outages one vantage saw that no group outage overlaps: the way from that vantage to " +
        "the target failed, not the target.",
    );
  }
  return [matrix, disagreements];
}
