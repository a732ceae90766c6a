// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} here is config text, not a template
import { describe, expect, it } from "vitest";
import { substituteText } from "../../src/config/env.js";
import { parseConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";
import { formatDuration, parseDuration, parseSize, parseStatus } from "../../src/fields/units.js";
import { redactedUrl } from "../../src/fields/values.js";

describe("durations", () => {
  it.each([
    ["500ms", 500],
    ["15s", 15_000],
    ["1m", 60_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1w", 604_800_000],
    ["1h30m", 5_400_000],
    ["1m30s500ms", 90_500],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "5x", "15", "1.5s", "1m2h", "1s1s", " 1s", "-1s", "1S"])(
    "%j is not a duration",
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );

  it.each([
    [0, "0s"],
    [500, "500ms"],
    [90_000, "1m30s"],
    [5_400_000, "1h30m"],
    [90_061_001, "1d1h1m1s1ms"],
  ])("%d ms is written %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("sizes", () => {
  it.each([
    ["4096", 4096],
    ["100B", 100],
    ["512KiB", 524_288],
    ["1MiB", 1_048_576],
    ["10MB", 10_000_000],
    ["2GiB", 2_147_483_648],
  ])("%s is %d bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(["", "1 MiB", "1mib", "1.5MiB", "MiB", "-1"])("%j is not a size", (text) => {
    expect(parseSize(text)).toBeNull();
  });
});

describe("statuses", () => {
  it("reads single codes and inclusive ranges", () => {
    expect(parseStatus(204)).toEqual({ min: 204, max: 204 });
    expect(parseStatus("204")).toEqual({ min: 204, max: 204 });
    expect(parseStatus("200-299")).toEqual({ min: 200, max: 299 });
  });

  it.each([["2xx"], ["299-200"], [99], ["600"], [true], [null]])("rejects %j", (input) => {
    expect(parseStatus(input)).toBeNull();
  });
});

describe("environment substitution", () => {
  const env = { HOST: "db.internal.example", EMPTY: "" };
  it.each([
    ["postgres://${HOST}/pantau", "postgres://db.internal.example/pantau"],
    ["${MISSING:-fallback}", "fallback"],
    ["${EMPTY:-fallback}", "fallback"],
    ["${EMPTY}", ""],
    ["${MISSING:-}", ""],
    ["costs $$5 and $${HOST}", "costs $5 and ${HOST}"],
    ["no references", "no references"],
  ])("%s becomes %j", (text, expected) => {
    expect(substituteText(text, env)).toEqual({ text: expected, problem: null });
  });

  it.each([
    ["${MISSING}", "environment variable MISSING is not set (or write ${MISSING:-default})"],
    ["${}", 'malformed reference "${}" (use ${NAME} or ${NAME:-default})'],
    ["${HOST", 'malformed reference "${" (use ${NAME} or ${NAME:-default})'],
  ])("%s is a problem", (text, problem) => {
    expect(substituteText(text, env).problem).toBe(problem);
  });
});

describe("URL messages never show a password, a token or a query", () => {
  it.each([
    ["mysql://pantau:s3cret@db/pantau", "mysql://***@db/pantau"],
    ["ftp://ops:hunter2@files.example/x", "ftp://***@files.example/x"],
    ["postgres://tok3n@db/x", "postgres://***@db/x"],
    ["ftp://files.example/x?key=s3cret&a=b", "ftp://files.example/x?***"],
    ["ftp://files.example/x#access_token=s3cret", "ftp://files.example/x#***"],
    ["ftp://a:b@files.example/x?y@z", "ftp://***@files.example/x?***"],
    ["ldap://files.example/x", "ldap://files.example/x"],
  ])("%s → %s", (url, shown) => {
    expect(redactedUrl(url)).toBe(shown);
  });

  it("in the config's own errors", () => {
    const result = parseConfig(
      "storage: { url: 'mysql://pantau:s3cret@db/pantau' }\ntargets: []\n",
      "t.yaml",
      {},
      { hostname: "h" },
    );
    expect(result.ok).toBe(false);
    const text = result.ok ? "" : result.issues.map(formatConfigIssue).join("\n");
    expect(text).toContain("mysql://***@db/pantau");
    expect(text).not.toContain("s3cret");
  });
});
