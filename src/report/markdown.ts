import type { IncidentReport } from "../ledger/figures/incident.js";
import { renderMarkdownTable } from "../text/table.js";
import type { ReportSection } from "./document.js";
import { reportDocument } from "./sections.js";

/** `pantau report --format markdown`: the report's sections as GitHub-flavoured markdown. */
export function renderIncidentMarkdown(incident: IncidentReport): string {
  const document = reportDocument(incident);
  const blocks = [
    `# ${escapeMarkdown(document.title)}`,
    ...document.paragraphs.map(escapeMarkdown),
    ...document.sections.flatMap(sectionBlocks),
  ];
  return `${blocks.join("\n\n")}\n`;
}

function sectionBlocks(section: ReportSection): string[] {
  const blocks = [
    `## ${escapeMarkdown(section.heading)}`,
    ...section.paragraphs.map(escapeMarkdown),
  ];
  if (section.items.length > 0) {
    blocks.push(section.items.map((item) => `- ${escapeMarkdown(item)}`).join("\n"));
  }
  if (section.table !== null) {
    // renderMarkdownTable ends with a newline; blocks are joined by blank lines
    blocks.push(renderMarkdownTable(section.table.columns, section.table.rows).trimEnd());
  }
  return blocks;
}

/** Names from the config (services, sites, details) must not turn into emphasis or links. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>]/g, (char) => `\\${char}`);
}
