// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} here is config text, not a template
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

const DIR = "test/fixtures/config/push";

/**
 * The mistakes one makes writing a push target, one fixture each: the exact messages, with
 * line:col, that `pantau check` prints, and their codes. (Those of bad-config.test.ts — keys
 * that apply to probed targets only, a malformed token, expect_every under 1s — are not repeated.)
 */
const EXPECTED: Record<string, [code: string, line: string][]> = {
  "CONFIG_INVALID.missing-token.yaml": [
    ["CONFIG_INVALID", '3:11: targets[0].push: missing required key "token"'],
  ],
  "CONFIG_INVALID.missing-expect-every.yaml": [
    ["CONFIG_INVALID", '4:7: targets[0].push: missing required key "expect_every"'],
  ],
  "CONFIG_INVALID.token-type.yaml": [
    [
      "CONFIG_INVALID",
      "3:20: targets[0].push.token: must be 16 to 256 printable ASCII characters without spaces (the value is not shown)",
    ],
  ],
  "CONFIG_UNKNOWN_KEY.push-every.yaml": [
    ["CONFIG_INVALID", '4:7: targets[0].push: missing required key "expect_every"'],
    [
      "CONFIG_UNKNOWN_KEY",
      '5:7: targets[0].push.expect_evry: unknown key "expect_evry"; did you mean "expect_every"?',
    ],
  ],
  "CONFIG_DURATION.grace.yaml": [
    [
      "CONFIG_DURATION",
      '3:67: targets[0].push.grace: "soon" is not a duration (use e.g. 500ms, 15s, 1m, 2h, 1d)',
    ],
  ],
  "CONFIG_ENV.push-token.yaml": [
    [
      "CONFIG_ENV",
      "3:20: targets[0].push.token: environment variable AUTOGATE_DPS_PUSH_TOKEN is not set (or write ${AUTOGATE_DPS_PUSH_TOKEN:-default})",
    ],
  ],
  "CONFIG_PROBER.push-and-http.yaml": [
    [
      "CONFIG_PROBER",
      "4:5: targets[0].push: has both http and push; keep exactly one prober block",
    ],
  ],
  "CONFIG_PROBER.push-expect-body.yaml": [
    ["CONFIG_PROBER", "4:5: targets[0].expect: applies to http targets only"],
  ],
};

describe("bad push target configuration", () => {
  it.each(Object.entries(EXPECTED))("%s", async (name, expected) => {
    const result = await loadConfig(`${DIR}/${name}`, {}, { hostname: "test-host" });
    if (result.ok) throw new Error(`${name} loaded without issues`);
    expect(result.issues.map((issue) => [issue.code, formatConfigIssue(issue)])).toEqual(
      expected.map(([code, line]) => [code, `${DIR}/${name}:${line}`]),
    );
  });

  it("has an expected result for every fixture in the folder", () => {
    const fixtures = readdirSync(DIR).filter((name) => name.endsWith(".yaml"));
    expect(fixtures.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it("loads a push target with its token from the environment, grace defaulting to 30s", async () => {
    const result = await loadConfig(
      `${DIR}/CONFIG_ENV.push-token.yaml`,
      { AUTOGATE_DPS_PUSH_TOKEN: "a-token-from-the-env-0123" },
      { hostname: "test-host" },
    );
    if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
    expect(result.config.targets[0]?.probe).toEqual({
      kind: "push",
      token: "a-token-from-the-env-0123",
      expectEvery: 60_000,
      grace: 30_000,
    });
  });
});
