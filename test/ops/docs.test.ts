import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";
import {
  documentedMetrics,
  type ExposedMetrics,
  pantauExposed,
} from "../dashboards/exposed-metrics.js";
import { checkMarkdown, formatProblem, type ReadPath } from "./markdown-check.js";

/**
 * The README is the front door and docs/ the house: the README stays short, every link in them
 * stays inside the repository and lands somewhere, they name no issue and no shared contract a
 * clone lacks, and the references (short config, metrics, CLI) say what the code does.
 */

/** The repository as a clone has it. */
const readRepo: ReadPath = (path) => {
  if (!existsSync(path)) return null;
  return statSync(path).isDirectory() ? "" : readFileSync(path, "utf8");
};

function markdownUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });
}

const DOCS = ["README.md", ...markdownUnder("docs")];

/** A made-up repository: the README under test, one doc with headings, one source file. */
function fakeRepo(readme: string): ReadPath {
  const files: Record<string, string> = {
    "README.md": readme,
    "docs/a.md": "# A\n\n## Sub part\n\n## `pantau run`\n",
    "src/real.ts": "",
    docs: "",
  };
  return (path) => files[path] ?? null;
}

describe("the docs check", () => {
  it.each([
    ["[contract](../shared/SPEC.md)", "link ../shared/SPEC.md points outside the repository"],
    [
      "the contract in SPEC.md",
      "mentions the shared contract (SPEC.md), which a clone does not have",
    ],
    ["as SPEC §4 says", "mentions the shared contract (SPEC.md), which a clone does not have"],
    [
      "[docs](https://prometheus.io/docs/)",
      "link https://prometheus.io/docs/ points outside the repository",
    ],
    [
      "see https://example.org/x for more",
      "link https://example.org/x points outside the repository",
    ],
    ["<http://example.org>", "link http://example.org points outside the repository"],
    ["[a](/docs/a.md)", "link /docs/a.md is absolute: use a relative path"],
    ["[gone](docs/gone.md)", "link docs/gone.md: no file docs/gone.md"],
    ["[a](docs/a.md#nope)", "link docs/a.md#nope: no heading #nope in docs/a.md"],
    ["[self](#nope)", "link #nope: no heading #nope in README.md"],
    ["the fix for #12 landed", "refers to an issue (#12)"],
    ["as issue 8 asks", "refers to an issue (issue 8)"],
    ["before the issue-8 work", "refers to an issue (issue-8)"],
    ["Issues 3 and 4", "refers to an issue (Issues 3)"],
    ["read `src/gone.ts`", "names src/gone.ts, which does not exist"],
  ])("flags %j", (line, message) => {
    const problems = checkMarkdown("README.md", fakeRepo(`# pantau\n\n${line}\n`));
    expect(problems.map(formatProblem)).toEqual([`README.md:3: ${message}`]);
  });

  it.each([
    "[a](docs/a.md) and [sub](docs/a.md#sub-part) and [run](docs/a.md#pantau-run)",
    "[folder](docs/)",
    "colours #0072B2 and #009E73; `src/real.ts`; `config/pantau.yaml:2:13: global.interval`",
    "```yaml\nurl: https://www.imigrasi.go.id/   # in code, not a link\n```",
    "specification, inspect, 8 issues of the magazine",
  ])("passes %j", (text) => {
    expect(checkMarkdown("README.md", fakeRepo(`# pantau\n\n${text}\n`))).toEqual([]);
  });

  it("holds the README to 250 lines", () => {
    const long = `# pantau\n${"line\n".repeat(249)}`;
    expect(checkMarkdown("README.md", fakeRepo(long))).toEqual([]);
    expect(checkMarkdown("README.md", fakeRepo(`${long}one more\n`)).map(formatProblem)).toEqual([
      "README.md:251: 251 lines: the README is the front door, at most 250",
    ]);
  });
});

describe("README.md and docs/", () => {
  it.each(DOCS)("%s: links inside the repository, no issue numbers, no shared contract", (file) => {
    expect(checkMarkdown(file, readRepo).map(formatProblem)).toEqual([]);
  });

  it("the README's short configuration is a valid file", () => {
    const readme = readFileSync("README.md", "utf8");
    const section = readme.slice(readme.indexOf("\n## Configuration"));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const result = parseConfig(yaml, "README.md", {}, { hostname: "docs" });
    expect(result.ok ? [] : result.issues.map(formatConfigIssue)).toEqual([]);
    expect(result.ok && result.config.targets.map((t) => t.id)).toEqual([
      "simkim-core",
      "autogate-cgk",
      "autogate-dps",
      "canary-gateway",
    ]);
  });
});

describe("docs/metrics.md", () => {
  let exposed: ExposedMetrics;
  beforeAll(async () => {
    exposed = await pantauExposed();
  });

  it("lists exactly pantau's own metrics, each with the type /metrics declares", () => {
    const own = [...exposed.families].filter(([name]) => /^(pantau|probe)_/.test(name));
    expect(Object.fromEntries(documentedMetrics())).toEqual(Object.fromEntries(own));
  });
});

describe("docs/cli.md", () => {
  const cli = readFileSync("docs/cli.md", "utf8");
  const synopsis = /```\n(pantau run[\s\S]*?)```/.exec(cli)?.[1] ?? "";
  /** The commands main.ts registers, as name → module. */
  const registered = [
    ...readFileSync("src/cli/main.ts", "utf8").matchAll(
      /(\w+): async \(\) => \(await import\("\.\/([\w-]+)\.js"\)\)\.(\w+)\(\)/g,
    ),
  ].map((m) => ({ name: m[1] as string, module: m[2] as string, factory: m[3] as string }));

  /** A command's section: from its heading to the next. */
  function section(name: string): string {
    const start = cli.indexOf(`\n## \`pantau ${name}\`\n`);
    if (start < 0) return "";
    const end = cli.indexOf("\n## ", start + 1);
    return cli.slice(start, end < 0 ? undefined : end);
  }

  it("knows every command", () => {
    expect(registered.map((c) => c.name).sort()).toEqual(
      ["check", "demo", "outages", "probe", "report", "run", "simulate"].sort(),
    );
  });

  it("documents every command and every flag it takes", async () => {
    const missing: string[] = [];
    for (const { name, module, factory } of registered) {
      const exports = (await import(`../../src/cli/${module}.ts`)) as Record<string, () => Command>;
      const command = exports[factory]?.();
      const body = section(name);
      if (body === "") missing.push(`no section for pantau ${name}`);
      const usage = synopsis.slice(synopsis.indexOf(`pantau ${name}`)).split(/\npantau /)[0] ?? "";
      for (const option of command?.options ?? []) {
        const flag = option.long ?? option.short ?? "";
        if (!usage.includes(flag)) missing.push(`${name} ${flag} not in the synopsis`);
        // simulate's flags are described with the scenario format, in docs/scenarios.md
        const where = name === "simulate" ? readFileSync("docs/scenarios.md", "utf8") : body;
        if (!new RegExp(`[\\s\`,(]${flag}\\b`).test(where))
          missing.push(`${name} ${flag} not described`);
      }
    }
    expect(missing).toEqual([]);
  });
});
