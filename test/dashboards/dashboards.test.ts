import { beforeAll, describe, expect, it } from "vitest";
import { documentedMetricNames, type ExposedMetrics, pantauExposed } from "./exposed-metrics.js";
import {
  allPanels,
  dashboardQueries,
  dataPanels,
  type Panel,
  shippedDashboards,
  type Variable,
  variableQuery,
  variableRefs,
} from "./grafana-model.js";
import { familyOf, metricNames } from "./promql-names.js";

/**
 * The shipped Grafana dashboards, checked without Grafana: identity and import/provisioning
 * properties, variables (declared, wired to the datasource variable, each one used), every panel
 * querying through `${datasource}`, and every metric they query exposed by pantau and documented.
 * test/e2e/dashboards-promql.e2e.test.ts parses and evaluates every query with real Prometheus.
 */

const shipped = shippedDashboards();
const byUid = new Map(shipped.map(({ dashboard }) => [dashboard.uid, dashboard]));
/** What panels and variable queries name as their data source: the `datasource` variable. */
const DATASOURCE = `\${datasource}`;

/** Grafana's own variables the queries may use. */
const GRAFANA_GLOBALS = new Set([
  "__rate_interval",
  "__interval",
  "__interval_ms",
  "__range",
  "__range_s",
  "__range_ms",
  "__all",
  "__url_time_range",
]);

/** What the issue asks each dashboard to show, as the series it must query. */
const REQUIRED_SERIES: Record<string, string[]> = {
  "pantau-overview": [
    "pantau_target_state",
    "pantau_target_state_changed_timestamp_seconds",
    "pantau_target_blocked_by",
    "pantau_target_maintenance",
    "pantau_probe_latency_seconds_bucket",
    "pantau_probe_failures_total",
    "pantau_state_transitions_total",
    "pantau_outage_duration_seconds_count",
    "pantau_monitor_blind",
    // the "pantau itself" row: whether what the overview shows is current
    "pantau_ledger_writable",
    "pantau_ledger_queue_length",
    "pantau_ledger_queue_dropped_total",
    "pantau_clock_jumps_total",
    "pantau_ha_leader",
  ],
  "pantau-target": [
    "pantau_target_state",
    "probe_http_duration_seconds",
    "probe_duration_seconds",
    "probe_http_status_code",
    "probe_ssl_earliest_cert_expiry",
    "pantau_probe_failures_total",
    "pantau_target_blocked_by",
    "pantau_state_transitions_total",
  ],
  "pantau-self": [
    "up",
    "pantau_scheduler_lag_seconds_bucket",
    "pantau_scheduler_skipped_total",
    "pantau_probes_in_flight",
    "pantau_probes_total",
    "pantau_ledger_write_duration_seconds_bucket",
    "pantau_ledger_writes_total",
    "pantau_ledger_writable",
    "pantau_ledger_queue_length",
    "pantau_ledger_queue_limit",
    "pantau_ledger_queue_dropped_total",
    "pantau_clock_jumps_total",
    "pantau_ha_leader",
    "pantau_alertmanager_posts_total",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "nodejs_eventloop_lag_p99_seconds",
    "pantau_config_last_reload_successful",
    "pantau_build_info",
  ],
};

const PANEL_TYPES = new Set([
  "row",
  "stat",
  "timeseries",
  "state-timeline",
  "status-history",
  "table",
  "bargauge",
]);

let exposed: ExposedMetrics;
beforeAll(async () => {
  exposed = await pantauExposed();
});

describe("dashboards/", () => {
  it("holds the overview, target and self dashboards, each under a unique, stable uid", () => {
    expect(shipped.map(({ file }) => file)).toEqual([
      "pantau-overview.json",
      "pantau-self.json",
      "pantau-target.json",
    ]);
    for (const { file, dashboard } of shipped) {
      // the uid is in URLs and data links: it is the file name and never changes
      expect(`${dashboard.uid}.json`).toBe(file);
      expect(dashboard.uid).toMatch(/^pantau-[a-z]+$/);
    }
    expect(byUid.size).toBe(shipped.length);
  });

  it("links only to dashboards that exist", () => {
    for (const { dashboard, text } of shipped) {
      for (const match of text.matchAll(/\/d\/([\w-]+)\//g)) {
        expect(byUid.has(match[1] as string), `${dashboard.uid} links to /d/${match[1]}/`).toBe(
          true,
        );
      }
    }
  });
});

describe.each(shipped.map(({ dashboard }) => [dashboard.uid, dashboard] as const))(
  "%s",
  (uid, dashboard) => {
    const panels = dataPanels(dashboard);
    const variables = dashboard.templating.list;
    const variable = (name: string) => variables.find((v) => v.name === name);

    it("imports as a new dashboard and provisions from a file (classic JSON model)", () => {
      expect(dashboard.id).toBeNull();
      expect(dashboard.title).toMatch(/^pantau — [a-z]+$/);
      expect(dashboard.tags).toContain("pantau");
      // 39 is read by Grafana 11 and up; later versions migrate it (their own latest is 41–42)
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(dashboard.schemaVersion).toBeLessThanOrEqual(42);
      expect(typeof dashboard.refresh).toBe("string");
      expect(dashboard.time?.to).toBe("now");
      expect(dashboard.links).toContainEqual(
        expect.objectContaining({ type: "dashboards", tags: ["pantau"] }),
      );
    });

    it("chooses its Prometheus through a `datasource` variable", () => {
      expect(variables[0]).toMatchObject({
        name: "datasource",
        type: "datasource",
        query: "prometheus",
      });
      for (const v of variables.filter((v) => v.type === "query")) {
        expect(v.datasource, v.name).toEqual({ type: "prometheus", uid: DATASOURCE });
        expect(variableQuery(v), v.name).toMatch(/^label_values\(.+, *[a-z_]+\)$/);
        expect(v.definition, v.name).toBe(variableQuery(v));
        if (v.includeAll) expect(v.allValue, v.name).toBe(".*");
      }
    });

    it("has job and instance variables, and service, site and target where targets are shown", () => {
      const expected =
        uid === "pantau-self"
          ? ["datasource", "job", "instance"]
          : ["datasource", "job", "instance", "service", "site", "target"];
      expect(variables.map((v) => v.name)).toEqual(expected);
      if (uid !== "pantau-self") {
        for (const name of ["service", "site", "target"]) {
          expect(variableQuery(variable(name) as Variable)).toMatch(
            new RegExp(`^label_values\\(pantau_target_info\\{.*\\}, ${name}\\)$`),
          );
        }
      }
      if (uid === "pantau-target") {
        // one target at a time
        expect(variable("target")).toMatchObject({ multi: false, includeAll: false });
      }
    });

    it("uses every variable, in a panel or in the query of a variable that is used", () => {
      const used = new Set<string>();
      for (const panel of allPanels(dashboard)) {
        for (const text of panelTexts(panel)) for (const ref of variableRefs(text)) used.add(ref);
        if (panel.repeat) used.add(panel.repeat);
      }
      // a variable feeding a used variable's options is used too
      for (let changed = true; changed; ) {
        changed = false;
        for (const v of variables) {
          if (!used.has(v.name)) continue;
          for (const ref of variableRefs(variableQuery(v))) {
            if (!used.has(ref)) {
              used.add(ref);
              changed = true;
            }
          }
        }
      }
      expect(variables.map((v) => v.name).filter((name) => !used.has(name))).toEqual([]);
    });

    it("refers only to declared variables and Grafana's own", () => {
      const declared = new Set(variables.map((v) => v.name));
      const texts = [...allPanels(dashboard).flatMap(panelTexts), ...variables.map(variableQuery)];
      const unknown = texts
        .flatMap(variableRefs)
        .filter((ref) => !declared.has(ref) && !GRAFANA_GLOBALS.has(ref));
      expect(unknown).toEqual([]);
    });

    it("gives every panel at least one query, all through the datasource variable", () => {
      expect(panels.length).toBeGreaterThan(5);
      for (const panel of panels) {
        const where = `panel ${panel.id} "${panel.title}"`;
        expect(PANEL_TYPES.has(panel.type), `${where}: type ${panel.type}`).toBe(true);
        expect(panel.title?.trim(), where).toBeTruthy();
        expect(panel.description?.trim(), where).toBeTruthy();
        expect(panel.datasource, where).toEqual({ type: "prometheus", uid: DATASOURCE });
        const targets = panel.targets ?? [];
        expect(targets.length, where).toBeGreaterThan(0);
        for (const target of targets) {
          expect(target.expr?.trim(), `${where} ${target.refId}`).toBeTruthy();
          expect(target.datasource, `${where} ${target.refId}`).toEqual({
            type: "prometheus",
            uid: DATASOURCE,
          });
        }
        const refIds = targets.map((t) => t.refId);
        expect(new Set(refIds).size, `${where}: refIds ${refIds}`).toBe(targets.length);
      }
    });

    it("lays its panels out on the 24-column grid without overlaps, ids unique", () => {
      const laid = allPanels(dashboard);
      const ids = laid.map((panel) => panel.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of laid) {
        const pos = panel.gridPos;
        expect(pos, `panel ${panel.id}`).toBeDefined();
        if (!pos) continue;
        expect(pos.x >= 0 && pos.w > 0 && pos.x + pos.w <= 24, `panel ${panel.id}`).toBe(true);
      }
      for (const [i, a] of laid.entries()) {
        for (const b of laid.slice(i + 1)) {
          expect(overlaps(a, b), `panels ${a.id} and ${b.id} overlap`).toBe(false);
        }
      }
    });

    it("queries only series pantau exposes, documented in docs/metrics.md", () => {
      const documented = documentedMetricNames();
      const missing: string[] = [];
      const undocumented: string[] = [];
      for (const query of dashboardQueries(dashboard)) {
        for (const name of metricNames(query.expr)) {
          if (!exposed.seriesNames.has(name)) missing.push(`${query.where}: ${name}`);
          const family = familyOf(name, exposed.histograms);
          if (/^(pantau|probe)_/.test(family) && !documented.has(family)) {
            undocumented.push(`${query.where}: ${family}`);
          }
        }
      }
      expect(missing).toEqual([]);
      expect(undocumented).toEqual([]);
    });

    it("shows what the issue asks of it", () => {
      const queried = new Set(
        dashboardQueries(dashboard)
          .filter((q) => !q.where.startsWith("variable"))
          .flatMap((q) => metricNames(q.expr)),
      );
      expect((REQUIRED_SERIES[uid] ?? ["?"]).filter((name) => !queried.has(name))).toEqual([]);
    });

    if (uid === "pantau-overview") {
      it("has the overview's views: outages table, per-service timeline, site × service grid, p50/p95/p99", () => {
        const byType = (type: string) => panels.filter((p) => p.type === type);
        expect(byType("table").map((p) => p.title)).toContain("Open outages");
        expect(byType("state-timeline").map((p) => p.title)).toContain("State per service");
        expect(byType("status-history").length).toBeGreaterThan(0);
        const grid = byType("table").find((p) => p.title?.startsWith("Airport × service"));
        expect(JSON.stringify(grid?.transformations)).toContain('"groupingToMatrix"');
        const latency = panels
          .flatMap((p) => p.targets ?? [])
          .map((t) => t.expr ?? "")
          .filter((expr) => expr.includes("pantau_probe_latency_seconds_bucket"));
        for (const q of ["0.5", "0.95", "0.99"]) {
          expect(
            latency.some((expr) =>
              expr.startsWith(`histogram_quantile(${q}, sum by (service, le)`),
            ),
          ).toBe(true);
        }
        const outages = panels.find((p) => p.title === "Open outages");
        expect(outages?.targets?.[0]).toMatchObject({ instant: true, format: "table" });
        expect(outages?.targets?.[0]?.expr).toContain("group_left (dependency)");
      });
    }
  },
);

function panelTexts(panel: Panel): string[] {
  return [
    panel.title ?? "",
    panel.datasource?.uid ?? "",
    ...(panel.targets ?? []).flatMap((t) => [t.expr ?? "", t.datasource?.uid ?? ""]),
    JSON.stringify(panel.fieldConfig ?? {}),
  ];
}

function overlaps(a: Panel, b: Panel): boolean {
  const p = a.gridPos;
  const q = b.gridPos;
  if (!p || !q) return false;
  return p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
}
