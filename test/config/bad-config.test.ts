// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} here is config text, not a template
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

const DIR = "test/fixtures/config";

/**
 * One fixture per mistake, named for its code: the exact messages, with line:col, that
 * `pantau check` would print. A fixture without a row here fails the last test.
 */
const EXPECTED: Record<string, string[]> = {
  "CONFIG_YAML.unclosed-flow.yaml": [
    "4:3: flow map in block collection must be sufficiently indented and end with a }",
  ],
  "CONFIG_YAML.duplicate-key.yaml": ['4:5: duplicate key "interval"'],
  "CONFIG_UNKNOWN_KEY.intervall.yaml": [
    '6:5: targets[0].intervall: unknown key "intervall"; did you mean "interval"?',
  ],
  "CONFIG_UNKNOWN_KEY.flow-map.yaml": [
    '3:53: targets[0].http.metod: unknown key "metod"; did you mean "method"?',
  ],
  "CONFIG_UNKNOWN_KEY.htpp.yaml": [
    '2:3: global.failur_threshold: unknown key "failur_threshold"; did you mean "failure_threshold"?',
    '6:5: targets[0].htpp: unknown key "htpp"; did you mean "http"?',
  ],
  "CONFIG_INVALID.missing-url.yaml": ['4:7: targets[0].http: missing required key "url"'],
  "CONFIG_INVALID.port.yaml": ["5:13: targets[0].tcp.port: must be at most 65535"],
  "CONFIG_INVALID.id.yaml": [
    '2:9: targets[0].id: "Portal_Imigrasi" is not a valid id (use [a-z0-9][a-z0-9._-]*)',
  ],
  "CONFIG_INVALID.method.yaml": [
    '5:15: targets[0].http.method: expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got "get"; did you mean "GET"?',
  ],
  "CONFIG_INVALID.ip-family.yaml": [
    '5:18: targets[0].http.ip_family: expected one of any, ipv4, ipv6, got "ipv5"; did you mean "ipv4"?',
  ],
  "CONFIG_INVALID.status.yaml": [
    '5:21: targets[0].expect.status[1]: "2xx" is not a status (use e.g. 200, 204 or "200-299")',
  ],
  "CONFIG_INVALID.threshold.yaml": ["2:22: global.failure_threshold: must be at least 1"],
  "CONFIG_INVALID.max-pending.yaml": ["2:16: storage.max_pending: must be at least 1"],
  "CONFIG_INVALID.unquoted-placeholder.yaml": [
    '5:11: targets[0].site: expected a string, got a map (quote it: "{site}")',
  ],
  "CONFIG_ENV.unset.yaml": [
    "2:17: server.bearer_token: environment variable PANTAU_TOKEN is not set (or write ${PANTAU_TOKEN:-default})",
  ],
  "CONFIG_ENV.malformed.yaml": [
    '3:18: targets[0].http.url: malformed reference "${PORTAL HOST}" (use ${NAME} or ${NAME:-default})',
  ],
  "CONFIG_DURATION.5x.yaml": [
    '3:15: targets[0].interval: "5x" is not a duration (use e.g. 500ms, 15s, 1m, 2h, 1d)',
  ],
  "CONFIG_DURATION.bare-number.yaml": [
    "2:13: global.interval: 30 is not a duration (use e.g. 500ms, 15s, 1m, 2h, 1d)",
  ],
  "CONFIG_SIZE.max-body.yaml": [
    '5:17: targets[0].http.max_body: "1 MiB" is not a size (use e.g. 512KiB, 1MiB, 10MB or a number of bytes)',
  ],
  "CONFIG_DUPLICATE_ID.each.yaml": [
    '5:9: targets[1].id: duplicate id "autogate-cgk" (first defined at line 2) (each[1])',
  ],
  "CONFIG_UNKNOWN_DEPENDENCY.typo.yaml": [
    '6:31: targets[1].depends_on[1]: unknown target "simkim"',
  ],
  "CONFIG_UNKNOWN_DEPENDENCY.near.yaml": [
    '5:18: targets[1].depends_on[0]: unknown target "simkim-cor"; did you mean "simkim-core"?',
  ],
  "CONFIG_DEPENDENCY_CYCLE.three.yaml": [
    "3:18: targets[0].depends_on[0]: dependency cycle: gateway -> portal -> simkim-core -> gateway",
  ],
  "CONFIG_TIMEOUT.interval.yaml": [
    "6:15: targets[0].interval: timeout 10s must be less than interval 5s",
  ],
  "CONFIG_TIMEOUT.schedule.yaml": [
    "4:14: targets[0].timeout: timeout 30s must be less than the schedule's shortest gap 20s",
  ],
  "CONFIG_EACH.keys.yaml": [
    "5:9: targets[0].each[1]: has keys (site); every item needs the keys of each[0] (host, site)",
  ],
  "CONFIG_EACH.placeholder.yaml": [
    '6:11: targets[0].name: unknown placeholder "{airport}" (each items define {site})',
  ],
  "CONFIG_PROBER.none.yaml": ["2:5: targets[0]: needs one prober block: http or tcp"],
  "CONFIG_PROBER.both.yaml": [
    "4:5: targets[0].tcp: has both http and tcp; keep exactly one prober block",
  ],
  "CONFIG_PROBER.tcp-expect.yaml": ["4:5: targets[0].expect: applies to http targets only"],
  "CONFIG_PROBER.tcp-tls-config.yaml": ["6:7: targets[0].tcp.tls_config: needs tls: true"],
  "CONFIG_PROBER.tcp-degraded-body.yaml": [
    "6:7: targets[0].degraded.body_contains: applies to http targets only",
    "7:7: targets[0].degraded.json: applies to http targets only",
  ],
  "CONFIG_URL.not-a-url.yaml": ["4:12: targets[0].http.url: not a valid URL"],
  "CONFIG_URL.each-item.yaml": [
    '6:18: targets[0].http.url: "ftp://autogate-dps.internal.example/health" is not an http:// or https:// URL (each[1])',
  ],
  "CONFIG_REGEX.backreference.yaml": [
    "5:19: targets[0].expect.body_regex: cannot be matched in linear time: backreferences, lookahead (and on Node 20 lookbehind) and repetition counts over 16 ({1,100}) are not supported",
  ],
  "CONFIG_REGEX.body-regex.yaml": [
    "5:19: targets[0].expect.body_regex: not a valid regular expression: /status: (ok|degraded/: unterminated group",
  ],
  "CONFIG_SCHEDULE.cron.yaml": [
    '3:15: targets[0].schedule: "*/20 * * * *  *  *" is not a cron pattern (use 5 fields, or 6 with seconds: "*/20 * * * * *")',
  ],
  "CONFIG_SCHEDULE.with-interval.yaml": [
    "4:5: targets[0].schedule: set interval or schedule, not both",
  ],
  "CONFIG_TIMEZONE.maintenance.yaml": [
    '5:15: maintenance[0].timezone: "Asia/Djakarta" is not an IANA time zone (use e.g. Asia/Jakarta, UTC)',
  ],
  "CONFIG_UNKNOWN_CANARY.yaml": ['2:29: global.canaries[1]: unknown target "canary-gateway"'],
  "CONFIG_UNKNOWN_CANARY.near.yaml": [
    '2:14: global.canaries[0]: unknown target "canary-publik"; did you mean "canary-public"?',
  ],
};

async function issuesOf(name: string) {
  const result = await loadConfig(`${DIR}/${name}`, {}, { hostname: "test-host" });
  if (result.ok) throw new Error(`${name} loaded without issues`);
  return result.issues;
}

describe("bad configuration: one fixture per error code", () => {
  it.each(Object.entries(EXPECTED))("%s", async (name, expected) => {
    const issues = await issuesOf(name);
    expect(issues.map(formatConfigIssue)).toEqual(expected.map((line) => `${DIR}/${name}:${line}`));
    const code = name.split(".")[0];
    expect(issues.map((issue) => issue.code)).toEqual(expected.map(() => code));
  });

  it("reports every error of a file, in document order", async () => {
    const issues = await issuesOf("MANY.document-order.yaml");
    expect(
      issues.map(
        (issue) => `${issue.line}:${issue.col} ${issue.code} ${issue.path}: ${issue.message}`,
      ),
    ).toEqual([
      "3:12 CONFIG_TIMEOUT global.timeout: timeout 45s must be less than interval 30s",
      '4:14 CONFIG_UNKNOWN_CANARY global.canaries[0]: unknown target "canary"',
      "7:11 CONFIG_INVALID server.listen: expected a string, got 9469",
      "11:18 CONFIG_DEPENDENCY_CYCLE targets[0].depends_on[0]: dependency cycle: simkim-core -> portal -> simkim-core",
      '12:59 CONFIG_INVALID targets[0].tcp.tls: expected true or false, got "yes"',
      '16:5 CONFIG_UNKNOWN_KEY targets[1].intervall: unknown key "intervall"; did you mean "interval"?',
      "18:12 CONFIG_ENV targets[1].http.url: environment variable PORTAL_URL is not set (or write ${PORTAL_URL:-default})",
      '19:17 CONFIG_SIZE targets[1].http.max_body: "lots" is not a size (use e.g. 512KiB, 1MiB, 10MB or a number of bytes)',
      '21:9 CONFIG_INVALID targets[2].id: "autogate-DPS" is not a valid id (use [a-z0-9][a-z0-9._-]*) (each[1])',
      '25:18 CONFIG_UNKNOWN_DEPENDENCY targets[2].depends_on[0]: unknown target "simkim-cor"; did you mean "simkim-core"?',
      '28:9 CONFIG_DUPLICATE_ID targets[3].id: duplicate id "portal" (first defined at line 14)',
    ]);
  });

  it("reports a file it cannot read as CONFIG_READ at 1:1", async () => {
    const issues = await issuesOf("does-not-exist.yaml");
    expect(issues.map(formatConfigIssue)).toEqual([
      `${DIR}/does-not-exist.yaml:1:1: cannot read the config file (ENOENT)`,
    ]);
    expect(issues[0]?.code).toBe("CONFIG_READ");
  });

  it("has an expected result for every fixture in the folder", () => {
    const fixtures = readdirSync(DIR).filter((name) => name.endsWith(".yaml"));
    const covered = [...Object.keys(EXPECTED), "MANY.document-order.yaml"];
    expect(fixtures.sort()).toEqual(covered.sort());
  });
});
