import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  documentedMetricNames,
  type ExposedMetrics,
  pantauExposed,
} from "../dashboards/exposed-metrics.js";
import { dashboardQueries, shippedDashboards } from "../dashboards/grafana-model.js";
import { familyOf, metricNames } from "../dashboards/promql-names.js";

/**
 * config/prometheus/pantau-rules.yml read as data: the alerts the issue asks for with their
 * severities, annotations whose runbook links land on a section of docs/runbook.md, series pantau
 * exposes, and unit tests (pantau-rules.test.yml) that see each alert fire and stay quiet.
 * test/e2e/prometheus-rules.e2e.test.ts runs promtool on the same files.
 */

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface AlertTestCase {
  alertname: string;
  eval_time: string;
  exp_alerts?: { exp_labels?: Record<string, string> }[];
}
interface RuleTestFile {
  rule_files: string[];
  tests: { name?: string; alert_rule_test?: AlertTestCase[] }[];
}

const rules = (
  parse(readFileSync("config/prometheus/pantau-rules.yml", "utf8")) as RuleFile
).groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);
const unitTests = parse(
  readFileSync("config/prometheus/pantau-rules.test.yml", "utf8"),
) as RuleTestFile;
const RUNBOOK = "docs/runbook.md";
const RUNBOOK_URL = "https://github.com/pantau/pantau/blob/main/docs/runbook.md#";

/** The alert behind each item of the issue, and how it must be routed. */
const REQUIRED: [string, "critical" | "warning"][] = [
  ["PantauTargetOutage", "critical"], // target down, not blocked, not in maintenance
  ["PantauServiceOutage", "critical"],
  ["PantauSiteOutage", "critical"],
  ["PantauTargetDegraded", "warning"],
  ["PantauCertificateExpiring", "warning"],
  ["PantauAbsent", "critical"],
  ["PantauSchedulerLagging", "warning"],
  ["PantauLedgerWriteErrors", "warning"],
];
const DASHBOARD_URL = /^https:\/\/grafana\.example\.internal\/d\/([a-z0-9-]+)\?(.*)$/;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, "")
    .replace(/ /g, "-");
}

let exposed: ExposedMetrics;
beforeAll(async () => {
  exposed = await pantauExposed();
});

describe("config/prometheus/pantau-rules.yml", () => {
  it("has an alert for everything the issue lists, with its severity", () => {
    const severityOf = new Map(alerts.map((rule) => [rule.alert, rule.labels?.severity]));
    expect(REQUIRED.filter(([name, severity]) => severityOf.get(name) !== severity)).toEqual([]);
  });

  it("names each alert once, apart from PantauTargetDown which pantau pushes itself", () => {
    const names = alerts.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain("PantauTargetDown");
    for (const name of names) expect(name).toMatch(/^Pantau[A-Z][A-Za-z]+$/);
    // the monitoring-mixins names (critical, warning, info), which existing routes match
    for (const rule of alerts) expect(["critical", "warning"]).toContain(rule.labels?.severity);
  });

  it("annotates every alert with a summary, a description, a runbook section and a dashboard that exist", () => {
    const runbook = readFileSync(RUNBOOK, "utf8");
    const anchors = new Set(
      [...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1] as string)),
    );
    for (const rule of alerts) {
      const annotations = rule.annotations ?? {};
      expect(Object.keys(annotations).sort(), rule.alert).toEqual([
        "dashboard_url",
        "description",
        "runbook_url",
        "summary",
      ]);
      expect(annotations.summary?.trim(), rule.alert).toBeTruthy();
      expect(annotations.description?.trim(), rule.alert).toBeTruthy();
      const url = annotations.runbook_url ?? "";
      expect(url.startsWith(RUNBOOK_URL), `${rule.alert}: ${url}`).toBe(true);
      const anchor = url.slice(RUNBOOK_URL.length);
      expect(anchor, rule.alert).toBe(rule.alert.toLowerCase());
      expect(anchors.has(anchor), `${rule.alert}: no section #${anchor} in ${RUNBOOK}`).toBe(true);
    }
  });

  it("gives each alert the same severity in the rules, docs/alerting.md and docs/runbook.md", () => {
    const table = readFileSync("docs/alerting.md", "utf8");
    const inTable = new Map(
      [...table.matchAll(/^\| `(Pantau\w+)` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]),
    );
    const runbook = readFileSync(RUNBOOK, "utf8");
    const inRunbook = new Map(
      [...runbook.matchAll(/^## (Pantau\w+)\n\n\*\*(\w+)\*\*/gm)].map((m) => [
        m[1],
        m[2]?.toLowerCase(),
      ]),
    );
    for (const rule of alerts) {
      expect(inTable.get(rule.alert), `alerting.md: ${rule.alert}`).toBe(rule.labels?.severity);
      expect(inRunbook.get(rule.alert), `runbook.md: ${rule.alert}`).toBe(rule.labels?.severity);
    }
  });

  it("links every alert to a shipped dashboard by uid, setting only variables it has", () => {
    const variablesOf = new Map(
      shippedDashboards().map(({ dashboard }) => [
        dashboard.uid,
        new Set(dashboard.templating.list.map((variable) => variable.name)),
      ]),
    );
    for (const rule of alerts) {
      const url = (rule.annotations?.dashboard_url ?? "").trim();
      const [, uid = "", query = ""] = DASHBOARD_URL.exec(url) ?? [];
      const variables = variablesOf.get(uid);
      expect(variables, `${rule.alert}: ${url}`).toBeDefined();
      const names = [...query.matchAll(/(?:^|&)var-([a-z_]+)=/g)].map((m) => m[1] as string);
      expect(names.length, `${rule.alert}: ${url}`).toBeGreaterThan(0);
      for (const name of names)
        expect(variables?.has(name), `${rule.alert}: var-${name}`).toBe(true);
      // the dashboard for what the alert is about: a target's, a service's or site's, pantau's own
      if (/^PantauTarget|Certificate/.test(rule.alert))
        expect(uid, rule.alert).toBe("pantau-target");
      if (/^Pantau(Service|Site)Outage$/.test(rule.alert))
        expect(uid, rule.alert).toBe("pantau-overview");
    }
  });

  it("queries only series pantau exposes (and Prometheus' up), documented in docs/metrics.md", () => {
    const documented = documentedMetricNames();
    for (const rule of rules) {
      for (const name of metricNames(rule.expr)) {
        expect(exposed.seriesNames.has(name), `${rule.alert}: ${name}`).toBe(true);
        const family = familyOf(name, exposed.histograms);
        if (/^(pantau|probe)_/.test(family)) {
          expect(documented.has(family), `${rule.alert}: ${family} in docs/metrics.md`).toBe(true);
        }
      }
    }
  });

  it("leaves blocked and maintained targets out of the paging target alert", () => {
    const outage = alerts.find((rule) => rule.alert === "PantauTargetOutage");
    expect(outage?.expr).toMatch(/unless on \(instance, target\) pantau_target_blocked_by == 1/);
    expect(outage?.expr).toMatch(/unless on \(instance, target\) pantau_target_maintenance == 1/);
    expect(outage?.for).toBe("2m");
  });
});

describe("pantau's own metrics", () => {
  it("are each used by a rule or a shipped dashboard: nothing exposed goes unwatched", () => {
    const used = new Set(
      [
        ...rules.map((rule) => rule.expr),
        ...shippedDashboards().flatMap(({ dashboard }) =>
          dashboardQueries(dashboard).map((query) => query.expr),
        ),
      ].flatMap((expr) => metricNames(expr).map((name) => familyOf(name, exposed.histograms))),
    );
    const own = [...exposed.families.keys()].filter((name) => /^(pantau|probe)_/.test(name));
    expect(own.length).toBeGreaterThanOrEqual(30);
    // a new metric: give it a panel (dashboards/) or a rule with a runbook section
    expect(own.filter((name) => !used.has(name))).toEqual([]);
  });
});

describe("config/prometheus/pantau-rules.test.yml", () => {
  const cases = unitTests.tests.flatMap((group) => group.alert_rule_test ?? []);

  it("tests the shipped rule file", () => {
    expect(unitTests.rule_files).toEqual(["pantau-rules.yml"]);
  });

  it.each(alerts.map((rule) => rule.alert))("sees %s fire and stay quiet", (name) => {
    const mine = cases.filter((c) => c.alertname === name);
    const firing = mine.filter((c) => (c.exp_alerts ?? []).length > 0);
    const quiet = mine.filter((c) => (c.exp_alerts ?? []).length === 0);
    expect(firing.length, `${name}: a case where it fires`).toBeGreaterThan(0);
    expect(quiet.length, `${name}: a case where it does not`).toBeGreaterThan(0);
    for (const c of firing) {
      for (const alert of c.exp_alerts ?? []) {
        expect(alert.exp_labels?.severity, name).toBe(
          alerts.find((rule) => rule.alert === name)?.labels?.severity,
        );
      }
    }
  });
});
