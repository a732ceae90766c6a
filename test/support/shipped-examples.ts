import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/types.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

export const SHIPPED = "config/pantau.yaml";

/**
 * The shipped config parsed with the commented examples under `heading` (up to the next
 * `# ---` section) uncommented, as an operator would. `header` rewrites the lines above the
 * heading (e.g. to uncomment a global key the examples rely on). Parsed, not loaded: the files
 * and addresses in the examples are the operator's, so nothing is read from this host.
 */
export function shippedWithExamples(heading: string, header = (line: string) => line): Config {
  const lines = readFileSync(SHIPPED, "utf8").split("\n");
  const start = lines.findIndex((line) => line.includes(heading));
  const end = lines.findIndex((line, i) => i > start && line.startsWith("  # ---"));
  expect(start, "the examples' heading").toBeGreaterThan(0);
  const text = [
    ...lines.slice(0, start + 1).map(header),
    ...lines
      .slice(start + 1, end)
      .filter((line) => /^ {2}# {1,2}[- ]/.test(line))
      .map((line) => line.replace(/^ {2}# /, "  ")),
    ...lines.slice(end),
  ].join("\n");
  const parsed = parseConfig(text, SHIPPED, {}, { hostname: "docs" });
  expect(parsed.ok ? [] : parsed.issues.map(formatConfigIssue)).toEqual([]);
  if (!parsed.ok) throw new Error("the shipped examples do not parse");
  return parsed.config;
}
