import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseConfig } from "../../src/config/load.js";
import { type ConfigIssue, formatConfigIssue } from "../../src/fields/errors.js";

const OPTIONS = { hostname: "fuzz-host" };

/** Every issue is a clean, located, one-line message: never a crash or a stack trace. */
function expectCleanIssues(issues: readonly ConfigIssue[]): void {
  expect(issues.length).toBeGreaterThan(0);
  for (const issue of issues) {
    expect(issue.code).toMatch(/^CONFIG_[A-Z_]+$/);
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.col).toBeGreaterThanOrEqual(1);
    expect(issue.message.length).toBeGreaterThan(0);
    const line = formatConfigIssue(issue);
    expect(line).not.toMatch(/\n|\bat .+:\d+:\d+\)|TypeError|ReferenceError|undefined is not/);
  }
}

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    "30s",
    "5x",
    "-1s",
    "1MiB",
    "200-299",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is config syntax here
    "${HOME}",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is config syntax here
    "${UNSET_VAR}",
    "{site}",
    "*/5 * * * * *",
  ),
);
const KEYS = [
  "global",
  "server",
  "storage",
  "targets",
  "interval",
  "timeout",
  "id",
  "http",
  "tcp",
  "url",
  "each",
  "depends_on",
  "expect",
  "degraded",
  "maintenance",
  "cron",
  "status",
  "json",
  "path",
  "equals",
  "host",
  "port",
  "tls",
  "canaries",
  "failure_threshold",
  "listen",
  "bogus",
];
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    scalar,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie("node"), { maxKeys: 5 }),
  ),
})).node;

describe("random configurations", () => {
  it("only ever produce a config or clean located errors (structured input)", () => {
    fc.assert(
      fc.property(value, (document) => {
        const result = parseConfig(stringify(document), "fuzz.yaml", { HOME: "/root" }, OPTIONS);
        if (!result.ok) expectCleanIssues(result.issues);
      }),
      { numRuns: 500 },
    );
  });

  it("only ever produce a config or clean located errors (arbitrary text)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const result = parseConfig(text, "fuzz.yaml", {}, OPTIONS);
        if (!result.ok) expectCleanIssues(result.issues);
      }),
      { numRuns: 500 },
    );
  });

  it("survive mutations of a valid target", () => {
    const target = fc.record({
      id: fc.oneof(fc.constant("portal"), fc.string({ maxLength: 10 })),
      interval: fc.oneof(fc.constant("30s"), fc.string({ maxLength: 6 })),
      timeout: fc.oneof(fc.constant("5s"), fc.string({ maxLength: 6 })),
      http: fc.record({
        url: fc.oneof(fc.constant("http://127.0.0.1:1/"), fc.webUrl(), fc.string()),
      }),
      depends_on: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(target, { maxLength: 4 }), (targets) => {
        const result = parseConfig(stringify({ targets }), "fuzz.yaml", {}, OPTIONS);
        if (!result.ok) expectCleanIssues(result.issues);
      }),
      { numRuns: 300 },
    );
  });
});
