import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

/**
 * A secret-bearing key with a value of the wrong type: the error names the key and the type
 * found, never the value (an all-digit token written unquoted is a number to YAML).
 */

function issues(yaml: string, env: Record<string, string> = {}): string[] {
  const parsed = parseConfig(yaml, "pantau.yaml", env);
  if (parsed.ok) throw new Error("expected the config to be refused");
  return parsed.issues.map(formatConfigIssue);
}

const TARGET = "targets: [{ id: portal, http: { url: 'http://127.0.0.1:1/' } }]";

describe("errors about secret-bearing keys show no value", () => {
  it.each([
    [
      "a bearer token typed as a number",
      `server: { bearer_token: 31415926535 }\n${TARGET}`,
      "pantau.yaml:1:25: server.bearer_token: expected a string, got a number (the value is not shown)",
      "31415926535",
    ],
    [
      "an unquoted all-digit token from the environment",
      `server:\n  bearer_token: \${PANTAU_TOKEN}\n${TARGET}`,
      "pantau.yaml:2:17: server.bearer_token: expected a string, got a number (the value is not shown)",
      "27182818284",
    ],
    [
      "a header value typed as a number",
      "targets: [{ id: portal, http: { url: 'http://127.0.0.1:1/', headers: { X-Api-Key: 987654321 } } }]",
      "pantau.yaml:1:83: targets[0].http.headers.X-Api-Key: expected a string, got a number (the value is not shown)",
      "987654321",
    ],
  ])("%s", (_, yaml, expected, secret) => {
    const found = issues(yaml, { PANTAU_TOKEN: "27182818284" });
    expect(found).toEqual([expected]);
    expect(found.join("\n")).not.toContain(secret);
  });

  it("other keys still show the value they got", () => {
    expect(issues(`global: { instance: 5 }\n${TARGET}`)).toEqual([
      "pantau.yaml:1:21: global.instance: expected a string, got 5",
    ]);
  });
});
