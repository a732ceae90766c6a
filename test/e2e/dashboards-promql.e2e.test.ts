import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { exposedFromText, SCRAPE_SERIES } from "../dashboards/exposed-metrics.js";
import {
  type DashboardQuery,
  dashboardQueries,
  dataPanels,
  shippedDashboards,
} from "../dashboards/grafana-model.js";
import { metricNames } from "../dashboards/promql-names.js";
import { KIND_FAMILIES, onlyOf, QUORUM_FAMILY } from "../dashboards/run-families.js";
import { type LiveStack, type PromResponse, startLiveStack, TARGETS } from "../ops/live-stack.js";
import { hasValue, substitute } from "../support/external/dashboard-queries.js";

/**
 * Every PromQL expression of the shipped dashboards — panel queries and the selectors of
 * variable queries — with Grafana's variables substituted the way Grafana would:
 *   1. parsed by promtool, offline, as one recording rule each;
 *   2. run against real Prometheus scraping a live pantau (test/ops/live-stack.ts): no query
 *      fails (bad vector matching shows only here, with data), and every panel shows data;
 *   3. every metric they name is in the live /metrics.
 */

const dashboards = shippedDashboards();
const queries = dashboards.flatMap(({ dashboard }) => dashboardQueries(dashboard));
/**
 * Exposed only by a member of an HA pair (global.ha_group, which needs PostgreSQL): the live
 * daemon here has none, so panels querying nothing else may be empty and the series absent.
 */
const HA_ONLY = new Set(["pantau_ha_leader"]);
/** And a quorum group's families, and those of the prober kinds this run has no target of. */
const NOT_IN_THIS_RUN = [/^pantau_ha_leader$/, QUORUM_FAMILY, ...KIND_FAMILIES];
const haOnly = (exprs: string[]) =>
  onlyOf(
    exprs.flatMap((expr) => metricNames(expr)),
    NOT_IN_THIS_RUN,
  ) && exprs.length > 0;

describe("dashboard queries, parsed by promtool", () => {
  const dir = mkdtempSync(join(tmpdir(), "pantau-dashboards-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are all valid PromQL once Grafana's variables are substituted", () => {
    expect(queries.length).toBeGreaterThan(60);
    const rules = queries.map((query, i) => ({
      record: `dashboard_query:${query.dashboard.replace(/-/g, "_")}:${i}`,
      expr: substitute(query.expr, { target: TARGETS.core }),
    }));
    for (const rule of rules) expect(rule.expr, rule.record).not.toMatch(/\$/);
    const file = join(dir, "dashboard-queries.yml");
    writeFileSync(file, stringify({ groups: [{ name: "dashboard-queries", rules }] }));
    const check = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
    expect(check.stdout + check.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it("would be refused by promtool if one were not (the check has teeth)", () => {
    const file = join(dir, "broken.yml");
    const rules = [{ record: "broken", expr: substitute('sum by (service (up{job=~"$job"})') }];
    writeFileSync(file, stringify({ groups: [{ name: "broken", rules }] }));
    expect(spawnSync("promtool", ["check", "rules", file]).status).toBe(1);
  });
});

describe("dashboard queries, run against Prometheus scraping a live pantau", () => {
  let stack: LiveStack;

  beforeAll(async () => {
    stack = await startLiveStack({ ruleFiles: [] });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** The query's result, as Grafana would ask for it: instant or over the last 30 seconds. */
  async function run(query: DashboardQuery, expr: string, instant: boolean) {
    const now = Date.now() / 1000;
    const body = instant
      ? await stack.api<PromResponse>("/api/v1/query", { query: expr, time: String(now) })
      : await stack.api<PromResponse>("/api/v1/query_range", {
          query: expr,
          start: String(now - 30),
          end: String(now),
          step: "1",
        });
    expect({ where: query.where, status: body.status, error: body.error ?? "" }).toEqual({
      where: query.where,
      status: "success",
      error: "",
    });
    return body.data?.result ?? [];
  }

  it.each(dashboards.map(({ dashboard }) => [dashboard.uid, dashboard] as const))(
    "%s: every query succeeds and every panel shows data",
    async (_uid, dashboard) => {
      const empty: string[] = [];
      for (const panel of dataPanels(dashboard)) {
        let shown = false;
        // the target dashboard shows one target at a time: each panel must show some target
        for (const target of Object.values(TARGETS)) {
          for (const panelTarget of panel.targets ?? []) {
            const query = {
              dashboard: dashboard.uid,
              where: `panel ${panel.id} "${panel.title}" ${panelTarget.refId} (${target})`,
              expr: panelTarget.expr ?? "",
            };
            const result = await run(
              query,
              substitute(query.expr, { target }),
              panelTarget.instant === true,
            );
            if (result.some(hasValue)) shown = true;
          }
          if (shown || !JSON.stringify(panel.targets).includes('target=\\"$target\\"')) break;
        }
        const exprs = (panel.targets ?? []).map((t) => t.expr ?? "");
        if (!shown && !haOnly(exprs)) empty.push(`panel ${panel.id} "${panel.title}"`);
      }
      expect(empty).toEqual([]);
    },
  );

  it("shows each target's state, a blocked dependant as blocked, and open outages with blocked_by", async () => {
    const panel = (uid: string, title: string) => {
      const found = dashboards
        .find(({ dashboard }) => dashboard.uid === uid)
        ?.dashboard.panels.find((p) => p.title === title);
      const expr = found?.targets?.[0]?.expr;
      if (!expr) throw new Error(`${uid}: no panel "${title}"`);
      return { dashboard: uid, where: title, expr };
    };
    const state = panel("pantau-target", "State");
    const codes: Record<string, string | undefined> = {};
    for (const target of Object.values(TARGETS)) {
      const [series] = await run(state, substitute(state.expr, { target }), true);
      codes[target] = series?.value?.[1];
    }
    // 1 up, 3 down because a dependency is (blocked), 4 down on its own
    expect(codes).toEqual({
      [TARGETS.core]: "4",
      [TARGETS.blocked]: "3",
      [TARGETS.maintained]: "4",
      [TARGETS.flapping]: "1",
      [TARGETS.tls]: "1",
    });

    const outages = panel("pantau-overview", "Open outages");
    const rows = await run(outages, substitute(outages.expr), true);
    const blockedBy = Object.fromEntries(
      rows.map((row) => [row.metric.target, row.metric.dependency ?? null]),
    );
    expect(blockedBy).toEqual({
      [TARGETS.core]: null,
      [TARGETS.blocked]: TARGETS.core,
      [TARGETS.maintained]: null,
    });
    for (const row of rows) expect(Number(row.value?.[1])).toBeGreaterThan(0);
  });

  it("every variable lists values", async () => {
    for (const query of queries.filter((q) => q.where.startsWith("variable"))) {
      const result = await run(query, substitute(query.expr), true);
      expect(result.length, `${query.dashboard} ${query.where}`).toBeGreaterThan(0);
    }
  });

  it("every metric the dashboards name is on pantau's live /metrics", async () => {
    const live = exposedFromText(await stack.metricsText());
    const names = new Set(queries.flatMap((query) => metricNames(query.expr)));
    const missing = [...names].filter(
      (name) =>
        !live.seriesNames.has(name) &&
        !SCRAPE_SERIES.includes(name) &&
        !HA_ONLY.has(name) &&
        // a quorum vantage's families are declared only by a daemon in a quorum group
        !QUORUM_FAMILY.test(name),
    );
    expect(missing).toEqual([]);
  });
});
