/**
 * The parts of Grafana's classic dashboard JSON model the tests read, and walkers over the
 * shipped dashboards: their panels (rows' nested panels included), queries and variables.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const DASHBOARDS_DIR = "dashboards";

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface PanelTarget {
  refId?: string;
  expr?: string;
  datasource?: DatasourceRef;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: DatasourceRef;
  targets?: PanelTarget[];
  panels?: Panel[];
  gridPos?: GridPos;
  repeat?: string;
  fieldConfig?: unknown;
  options?: unknown;
  transformations?: unknown[];
}

export interface Variable {
  name: string;
  type: string;
  label?: string;
  query?: string | { query?: string; qryType?: number; refId?: string };
  definition?: string;
  datasource?: DatasourceRef;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}

export interface DashboardLink {
  type: string;
  tags?: string[];
  url?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  id: number | null;
  tags: string[];
  schemaVersion: number;
  refresh?: unknown;
  time?: { from: string; to: string };
  editable?: boolean;
  links?: DashboardLink[];
  panels: Panel[];
  templating: { list: Variable[] };
  annotations?: { list: { expr?: string }[] };
}

export interface ShippedDashboard {
  file: string;
  text: string;
  dashboard: Dashboard;
}

/** Every dashboards/*.json, parsed. */
export function shippedDashboards(): ShippedDashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => {
      const text = readFileSync(join(DASHBOARDS_DIR, file), "utf8");
      return { file, text, dashboard: JSON.parse(text) as Dashboard };
    });
}

/** Every panel, rows' nested panels included; rows themselves too. */
export function allPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (panels: readonly Panel[]) => {
    for (const panel of panels) {
      out.push(panel);
      if (panel.panels) walk(panel.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** Panels that show data (not rows). */
export function dataPanels(dashboard: Dashboard): Panel[] {
  return allPanels(dashboard).filter((panel) => panel.type !== "row");
}

/** The text of a variable's query (the classic string form or the editor's object form). */
export function variableQuery(variable: Variable): string {
  if (typeof variable.query === "string") return variable.query;
  return variable.query?.query ?? "";
}

/**
 * The PromQL in a Prometheus variable query: `label_values(selector, label)` → the selector;
 * `query_result(expr)` → the expression; null when there is none (`label_values(label)`).
 */
export function variablePromql(variable: Variable): string | null {
  const query = variableQuery(variable).trim();
  const labelValues = /^label_values\(\s*(.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$/s.exec(query);
  if (labelValues) return labelValues[1] ?? null;
  const queryResult = /^query_result\((.*)\)$/s.exec(query);
  if (queryResult) return queryResult[1] ?? null;
  return null;
}

export interface DashboardQuery {
  dashboard: string;
  /** Where the query sits, for messages: `panel 12 "Open outages" A` or `variable service`. */
  where: string;
  expr: string;
}

/** Every PromQL expression of a dashboard: panel targets, variable queries, annotations. */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const panel of dataPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      out.push({
        dashboard: dashboard.uid,
        where: `panel ${panel.id} "${panel.title}" ${target.refId}`,
        expr: target.expr ?? "",
      });
    }
  }
  for (const variable of dashboard.templating.list) {
    const expr = variable.type === "query" ? variablePromql(variable) : null;
    if (expr !== null) {
      out.push({ dashboard: dashboard.uid, where: `variable ${variable.name}`, expr });
    }
  }
  for (const [i, annotation] of (dashboard.annotations?.list ?? []).entries()) {
    if (annotation.expr) {
      out.push({ dashboard: dashboard.uid, where: `annotation ${i}`, expr: annotation.expr });
    }
  }
  return out;
}

/** Names of the dashboard variables a text refers to: `$name`, `${name}`, `${name:fmt}`, `[[name]]`. */
export function variableRefs(text: string): string[] {
  const refs = new Set<string>();
  for (const match of text.matchAll(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]/g)) {
    const name = match[1] ?? match[2] ?? match[3];
    if (name) refs.add(name);
  }
  return [...refs];
}
