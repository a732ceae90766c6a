import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { documentedMetricNames } from "../dashboards/exposed-metrics.js";
import { allPanels, shippedDashboards } from "../dashboards/grafana-model.js";

/**
 * docs/blackbox-users.md against what ships: the rule it shows as pantau's is the shipped one,
 * the pantau series and dashboard panels it names exist, and the README lists the page.
 */

const DOC = readFileSync("docs/blackbox-users.md", "utf8");

interface Rule {
  alert?: string;
  expr: string;
}

function yamlBlocks(markdown: string): unknown[] {
  return [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1] as string));
}

describe("docs/blackbox-users.md", () => {
  it("shows PantauTargetOutage with the shipped rule's expression", () => {
    const shipped = (
      parse(readFileSync("config/prometheus/pantau-rules.yml", "utf8")) as {
        groups: { rules: Rule[] }[];
      }
    ).groups
      .flatMap((group) => group.rules)
      .find((rule) => rule.alert === "PantauTargetOutage");
    const shown = yamlBlocks(DOC)
      .filter((block): block is Rule[] => Array.isArray(block))
      .flat()
      .find((rule) => rule.alert === "PantauTargetOutage");
    expect(shown?.expr).toBe(shipped?.expr);
  });

  it("names only pantau series that docs/metrics.md lists", () => {
    const documented = documentedMetricNames();
    const named = new Set([...DOC.matchAll(/\bpantau_[a-z_]+\b/g)].map((m) => m[0]));
    expect(named.size).toBeGreaterThan(3);
    expect([...named].filter((name) => !documented.has(name))).toEqual([]);
  });

  it("names only panels that the named dashboard has", () => {
    const titles = new Map(
      shippedDashboards().map(({ dashboard }) => [
        dashboard.title,
        new Set(allPanels(dashboard).map((panel) => panel.title)),
      ]),
    );
    // "*pantau — target*: *State* (…), *HTTP status*": a dashboard, then its panels
    const missing: string[] = [];
    let cited = 0;
    for (const [, cell] of DOC.matchAll(/^\| [^|]+ \| (\*pantau — .+) \|$/gm)) {
      for (const part of (cell as string).split(/;\s*/)) {
        const [, dashboard = "", panels = ""] = /^\*(pantau — \w+)\*: (.*)$/.exec(part) ?? [];
        for (const [, title] of panels.matchAll(/\*([^*]+)\*/g)) {
          cited++;
          const wanted = (title as string).replace(/ p50\/p95\/p99 /, " p50 ");
          if (!titles.get(dashboard)?.has(wanted)) missing.push(`${dashboard}: ${title}`);
        }
      }
    }
    expect(cited).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });

  it("is listed in the README's documentation table", () => {
    expect(readFileSync("README.md", "utf8")).toContain(
      "[docs/blackbox-users.md](docs/blackbox-users.md)",
    );
  });
});
