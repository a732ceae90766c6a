import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { INSTANCE, type LiveStack, startLiveStack, TARGETS } from "../ops/live-stack.js";

/**
 * The shipped Prometheus files with Debian's promtool and Prometheus: the rules check and pass
 * their unit tests, the example scrape config checks, and loaded into a real Prometheus scraping
 * a live pantau every rule evaluates cleanly and PantauTargetOutage picks the right targets.
 */

const RULES = "config/prometheus/pantau-rules.yml";
/** Alerts and recording rules in the shipped file. */
const RULE_COUNT = (
  parse(readFileSync(RULES, "utf8")) as { groups: { rules: unknown[] }[] }
).groups.reduce((sum, group) => sum + group.rules.length, 0);

function promtool(...args: string[]) {
  const run = spawnSync("promtool", args, { encoding: "utf8" });
  return { status: run.status, out: run.stdout + run.stderr };
}

describe("promtool", () => {
  it("checks the rules", () => {
    const check = promtool("check", "rules", RULES);
    expect(check.out).toContain(`SUCCESS: ${RULE_COUNT} rules found`);
    expect(check.status, check.out).toBe(0);
  });

  it("passes the rules' unit tests: every alert firing and not", () => {
    const test = promtool("test", "rules", "config/prometheus/pantau-rules.test.yml");
    expect(test.out).toContain("SUCCESS");
    expect(test.status, test.out).toBe(0);
  });

  it("shows what docs/blackbox-users.md says: a generic probe_success rule fires on one failed probe, pantau's rule on its state", () => {
    const test = promtool("test", "rules", "test/fixtures/prometheus/blackbox-generic.test.yml");
    expect(test.out).toContain("SUCCESS");
    expect(test.status, test.out).toBe(0);
  });

  it("checks the example scrape config, and the rule file it loads", () => {
    const check = promtool("check", "config", "config/prometheus/prometheus.yml");
    expect(check.out).toContain("SUCCESS: 1 rule files found");
    expect(check.out).toContain(`SUCCESS: ${RULE_COUNT} rules found`);
    expect(check.status, check.out).toBe(0);
  });
});

interface RulesResponse {
  data: {
    groups: {
      name: string;
      rules: { name: string; health: string; lastError?: string; type: string }[];
    }[];
  };
}
interface AlertsResponse {
  data: { alerts: { labels: Record<string, string>; state: string }[] };
}

describe("the rules in Prometheus, scraping a live pantau", () => {
  let stack: LiveStack;

  beforeAll(async () => {
    stack = await startLiveStack({ ruleFiles: [RULES] });
    // give every rule a few evaluations with the outages in place
    await stack.waitFor(`ALERTS{alertname="PantauTargetOutage"}`);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("evaluates every rule without an error", async () => {
    const { data } = await stack.api<RulesResponse>("/api/v1/rules");
    const rules = data.groups.flatMap((group) => group.rules);
    expect(rules).toHaveLength(RULE_COUNT);
    for (const rule of rules) {
      expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? "" }).toEqual({
        rule: rule.name,
        health: "ok",
        error: "",
      });
    }
  });

  it("holds PantauTargetOutage for the root only: not its blocked dependant, not the maintained target", async () => {
    const { data } = await stack.api<AlertsResponse>("/api/v1/alerts");
    const outages = data.alerts.filter((alert) => alert.labels.alertname === "PantauTargetOutage");
    // `for: 2m` keeps it pending in a test this short
    expect(outages.map((alert) => [alert.labels.target, alert.state])).toEqual([
      [TARGETS.core, "pending"],
    ]);
    expect(outages[0]?.labels).toMatchObject({
      instance: INSTANCE,
      job: "pantau",
      service: "immigration-core",
      site: "pdns2",
      severity: "critical",
    });
  });

  it("raises nothing about pantau itself while it is scraped, sees and writes", async () => {
    const { data } = await stack.api<AlertsResponse>("/api/v1/alerts");
    const self = data.alerts
      .map((alert) => alert.labels.alertname)
      .filter((name) => name !== "PantauTargetOutage");
    expect(self).toEqual([]);
  });
});
