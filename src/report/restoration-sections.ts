import type { Restoration, RestorationOrder } from "../ledger/figures/restoration.js";
import { humanDuration } from "../text/duration.js";
import { count } from "../text/numbers.js";
import type { TableColumn } from "../text/table.js";
import { formatTime } from "../text/time.js";
import { nameText, type ReportSection, tableSection } from "./document.js";

/**
 * The restoration order as two tables: sites, then targets, each in the order they came back
 * up, with how long each was down and degraded (manual mode, for passport control) before.
 */

/** Target rows listed at most: the first this many in restoration order. */
export const RESTORATION_TARGET_ROWS = 1000;

const COLUMNS: readonly TableColumn[] = [
  { header: "back up" },
  { header: "down", alignRight: true },
  { header: "degraded", alignRight: true },
];

export function restorationSections(order: RestorationOrder): ReportSection[] {
  return [sitesSection(order), targetsSection(order)];
}

function sitesSection(order: RestorationOrder): ReportSection {
  const columns: TableColumn[] = [
    { header: "#", alignRight: true },
    { header: "site" },
    ...COLUMNS,
    { header: "targets affected", alignRight: true },
  ];
  const rows = order.sites.map((site, index) => [
    String(index + 1),
    nameText(site.site),
    ...restorationCells(site),
    `${site.affectedTargetCount} of ${site.targetCount}`,
  ]);
  const found = tableSection(
    "restoration-sites",
    "Restoration order by site",
    { columns, rows },
    "No site was down or degraded in the window.",
  );
  if (rows.length > 0) {
    found.paragraphs.push(
      "Each site that was down or degraded, in the order it came back up: when its last " +
        "affected target was up again. Down: while one of its targets was down; degraded: " +
        "while one was degraded (both at once counts in both).",
    );
  }
  return found;
}

function targetsSection(order: RestorationOrder): ReportSection {
  const columns: TableColumn[] = [
    { header: "#", alignRight: true },
    { header: "target" },
    { header: "service" },
    { header: "site" },
    ...COLUMNS,
  ];
  const listed = order.targets.slice(0, RESTORATION_TARGET_ROWS);
  const rows = listed.map((target, index) => [
    String(index + 1),
    target.targetId,
    nameText(target.service),
    nameText(target.site),
    ...restorationCells(target),
  ]);
  const found = tableSection(
    "restoration-targets",
    "Restoration order by target",
    { columns, rows },
    "No target was down or degraded in the window.",
  );
  if (listed.length < order.targets.length) {
    found.paragraphs.push(
      `The first ${count(listed.length)} of ${count(order.targets.length)} targets that were ` +
        "down or degraded, in the order they came back up.",
    );
  }
  return found;
}

function restorationCells(restoration: Restoration): string[] {
  return [
    restoration.restoredAt === null
      ? `not yet: ${restoration.endState} at the end`
      : formatTime(restoration.restoredAt),
    humanDuration(restoration.downSeconds),
    humanDuration(restoration.degradedSeconds),
  ];
}
