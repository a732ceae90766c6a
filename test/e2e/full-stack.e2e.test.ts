import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { Daemon } from "../../src/daemon/daemon.js";
import { Estate } from "../../src/sim/estate.js";
import { renderMonitorConfig } from "../../src/sim/monitor-config.js";
import { AIRPORTS, CORE_ID, immigrationEstatePlan } from "../../src/sim/plan.js";
import {
  type Dashboard,
  dataPanels,
  shippedDashboards,
  type Variable,
  variableQuery,
} from "../dashboards/grafana-model.js";
import { metricNames } from "../dashboards/promql-names.js";
import { KIND_FAMILIES, onlyOf, QUORUM_FAMILY } from "../dashboards/run-families.js";
import {
  alertmanagerTestConfig,
  type Notification,
  type RunningAlertmanager,
  startAlertmanager,
  startWebhook,
  type Webhook,
  type WebhookAlert,
} from "../support/external/alertmanager.js";
import { hasValue, substitute } from "../support/external/dashboard-queries.js";
import {
  type PromResponse,
  type RunningPrometheus,
  startPrometheus,
} from "../support/external/prometheus.js";
import { memoryLogger } from "../support/memory-log.js";
import { until } from "../support/until.js";

/**
 * The whole stack end to end, on loopback: the simulated immigration estate plays a short outage, an
 * in-process pantau monitors it, Debian's Prometheus scrapes pantau with the shipped scrape config
 * and evaluates the shipped rules, and Debian's Alertmanager routes with the shipped config to a
 * webhook in this test. The root outage (simkim-core) pages; the dependants pantau finds blocked
 * by it do not; the dashboards' queries all answer with data from this Prometheus.
 *
 * What the other e2e files already prove is not repeated: `promtool check rules` and
 * `test rules` on the shipped rules and `check config` on the shipped scrape config
 * (prometheus-rules.e2e.test.ts), `amtool check-config` (alertmanager.e2e.test.ts). New here:
 * `check config` on the adapted copy actually run, and `check metrics` on pantau's /metrics
 * with an outage, blocked dependants and degraded airports in it.
 */

const SHIPPED_PROMETHEUS = "config/prometheus/prometheus.yml";
const SHIPPED_RULES = "config/prometheus/pantau-rules.yml";
/** Every rule's `for`, in the test copy: long enough to pend, short enough for a test. */
const TEST_FOR = "2s";

const DEPENDANTS = ["portal-imigrasi", "evisa", "m-paspor"];
const AUTOGATES = AIRPORTS.map(({ site }) => `autogate-${site}`);
const ALL_TARGETS = immigrationEstatePlan().map((plan) => plan.id);

interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[]; labels?: Record<string, string> }[];
}
interface PrometheusConfig {
  global: Record<string, string>;
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: ScrapeConfig[];
}
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
interface RulesResponse {
  data: { groups: { name: string; lastEvaluation: string; rules: { name: string }[] }[] };
}
interface ApiAlert {
  labels: Record<string, string>;
  status: { state: string };
}

const dir = mkdtempSync(join(tmpdir(), "pantau-full-stack-"));
const shippedScrape = parse(readFileSync(SHIPPED_PROMETHEUS, "utf8")) as PrometheusConfig;
const shippedRules = parse(readFileSync(SHIPPED_RULES, "utf8")) as RuleFile;
/** The instance label the shipped scrape config gives pantau: the daemon's global.instance. */
const INSTANCE = shippedScrape.scrape_configs[0]?.static_configs[0]?.labels?.instance ?? "";
const JOB = shippedScrape.scrape_configs[0]?.job_name ?? "";

/**
 * Panels that cannot show data in this run, each for a reason outside the dashboards' queries
 * (which still answer without error): the simulated estate is plain HTTP, so there is no
 * probe_ssl_earliest_cert_expiry (the dashboards e2e test covers them with a TLS target); the
 * daemon is in no HA pair (that needs PostgreSQL), so there is no pantau_ha_leader.
 */
const KNOWN_EMPTY: Record<string, string[]> = {
  "pantau-overview": ['panel 28 "HA leader"'],
  "pantau-self": ['panel 28 "HA leader per group"'],
  "pantau-target": ['panel 7 "Certificate days left"', 'panel 15 "Certificate days left"'],
};
/**
 * And panels of what this run has none of (a quorum group, push, DNS and gRPC targets): each is
 * shown with data by its own end-to-end test.
 */
const ofAbsentFamilies = (panel: { targets?: { expr?: string }[] }) =>
  onlyOf(
    (panel.targets ?? []).flatMap((t) => metricNames(t.expr ?? "")),
    [QUORUM_FAMILY, ...KIND_FAMILIES],
  );
const dashboards = shippedDashboards();
const shownDuringOutage = new Map<string, Set<string>>();

const cleanups: (() => Promise<void> | void)[] = [];
let estate: Estate;
let daemon: Daemon;
let pantauUrl = "";
let webhook: Webhook;
let alertmanager: RunningAlertmanager;
let prometheus: RunningPrometheus;
let prometheusConfigFile = "";

beforeAll(async () => {
  try {
    estate = await Estate.start({ plan: immigrationEstatePlan() });
    cleanups.push(() => estate.close());

    const pantauConfig = join(dir, "pantau.yaml");
    writeFileSync(pantauConfig, monitorConfig(estate));
    daemon = await Daemon.start({
      configFile: pantauConfig,
      logger: memoryLogger("warn").logger,
      listen: "127.0.0.1:0",
    });
    cleanups.push(() => daemon.stop());
    const address = daemon.httpAddress;
    if (!address) throw new Error("pantau serves no HTTP");
    pantauUrl = `http://${address.host}:${address.port}`;

    webhook = await startWebhook();
    cleanups.push(() => webhook.close());
    alertmanager = await startAlertmanager({
      configText: alertmanagerTestConfig(webhook.url),
      dir,
    });
    cleanups.push(() => alertmanager.stop());

    // the shipped rule_files entry is relative to the config: the copy sits beside it
    writeFileSync(join(dir, "pantau-rules.yml"), stringify(testRules()));
    prometheusConfigFile = join(dir, "prometheus.yml");
    writeFileSync(
      prometheusConfigFile,
      stringify(testScrapeConfig(`${address.host}:${address.port}`, alertmanager.address)),
    );
    prometheus = await startPrometheus({ configFile: prometheusConfigFile, dir });
    cleanups.push(() => prometheus.stop());

    // the whole estate up, as Prometheus sees it, before anything fails
    await prometheus.waitFor(`up{job="${JOB}", instance="${INSTANCE}"} == 1`);
    await prometheus.waitFor(
      `count(pantau_target_state{state="up", instance="${INSTANCE}"} == 1) == ${ALL_TARGETS.length}`,
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
});

afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

async function stopAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

describe("the shipped configuration, adapted for loopback", () => {
  it("changes only `for` in the rules: every expression, label and annotation is the shipped one", () => {
    const strip = (file: RuleFile) =>
      file.groups.map((group) => ({
        ...group,
        rules: group.rules.map(({ for: _for, ...rest }) => rest),
      }));
    expect(strip(testRules())).toEqual(strip(shippedRules));
  });

  it("passes promtool check config, with the rule file it loads", () => {
    const check = spawnSync("promtool", ["check", "config", prometheusConfigFile], {
      encoding: "utf8",
    });
    const out = check.stdout + check.stderr;
    expect(out).toContain("SUCCESS: 1 rule files found");
    expect(check.status, out).toBe(0);
  });
});

describe("a short outage of simkim-core, end to end", () => {
  it("pantau finds the core down on its own and its dependants blocked by it", async () => {
    await estate.setBehaviour(CORE_ID, { behaviour: "down", mode: "refused" });
    // the dependants fail after the core's first failed probe, so pantau attributes them to it
    await prometheus.waitFor(`pantau_target_state{target="${CORE_ID}", state="down"} == 1`);
    for (const id of DEPENDANTS) {
      await estate.setBehaviour(id, { behaviour: "down", mode: "503" });
    }
    await estate.setBehaviour("autogate-*", { behaviour: "degraded", mode: "manual" });

    await until(
      async () =>
        (await prometheus.waitFor(`pantau_target_blocked_by{dependency="${CORE_ID}"} == 1`))
          .length === DEPENDANTS.length,
      { what: "every dependant blocked_by simkim-core in Prometheus", timeoutMs: 20_000 },
    );
    await prometheus.waitFor(
      `count(pantau_target_state{state="degraded", target=~"autogate-.*"} == 1) == ${AUTOGATES.length}`,
      20_000,
    );
    // and pantau's own API says the same
    const { targets } = (await (await fetch(`${pantauUrl}/api/v1/targets`)).json()) as {
      targets: { id: string; state: string; blocked_by: string | null }[];
    };
    const view = Object.fromEntries(targets.map((t) => [t.id, [t.state, t.blocked_by]]));
    expect(view).toEqual({
      [CORE_ID]: ["down", null],
      ...Object.fromEntries(DEPENDANTS.map((id) => [id, ["down", CORE_ID]])),
      ...Object.fromEntries(AUTOGATES.map((id) => [id, ["degraded", null]])),
    });
  });

  it("pages for the root with severity critical, and for none of its blocked dependants", async () => {
    const page = await waitForNotification(
      (n) => n.path === "/pager" && n.status === "firing",
      "the page for simkim-core",
    );
    expect(page.receiver).toBe("pager");
    // exactly the rule's labels: the series' own and severity, nothing of pantau's push
    expect(page.alerts.map((alert) => alert.labels)).toEqual([
      {
        alertname: "PantauTargetOutage",
        target: CORE_ID,
        service: "immigration-core",
        site: "pdns2",
        state: "down",
        instance: INSTANCE,
        job: JOB,
        severity: "critical",
      },
    ]);
    expect(page.alerts[0]?.annotations?.runbook_url).toMatch(/runbook\.md#pantautargetoutage$/);

    // the airports in manual mode are a ticket, not a page: all eight, possibly in batches
    await until(() => ticketedTargets().length === AUTOGATES.length, {
      what: "a PantauTargetDegraded ticket for every airport",
      timeoutMs: 15_000,
    });
    expect(ticketedTargets()).toEqual([...AUTOGATES].sort());

    // several more evaluations and Alertmanager group intervals: nothing else is on its way
    await waitEvaluations(4);
    const firing = alerts(webhook.notifications).filter((a) => a.status === "firing");
    // Alertmanager re-sends a whole group when a later batch joins it: count each alert once
    const distinct = new Set(
      firing.map(({ labels }) => `${labels.alertname} ${labels.target} ${labels.severity}`),
    );
    expect([...distinct].sort()).toEqual(
      [
        `PantauTargetOutage ${CORE_ID} critical`,
        ...AUTOGATES.map((id) => `PantauTargetDegraded ${id} warning`),
      ].sort(),
    );
    // the whole jakarta site is down, but only because of the core: no site or service page
    const held = await prometheus.api<PromResponse>("/api/v1/query", {
      query: `ALERTS{instance="${INSTANCE}"}`,
    });
    const heldNames = (held.data?.result ?? []).map(
      ({ metric }) => `${metric.alertname} ${metric.target ?? ""} ${metric.alertstate}`,
    );
    expect(heldNames.sort()).toEqual(
      [
        `PantauTargetOutage ${CORE_ID} firing`,
        ...AUTOGATES.map((id) => `PantauTargetDegraded ${id} firing`),
      ].sort(),
    );
    // Alertmanager never heard of the dependants
    const amAlerts = (await (
      await fetch(`${alertmanager.url}/api/v2/alerts`)
    ).json()) as ApiAlert[];
    expect(amAlerts.filter((a) => DEPENDANTS.includes(a.labels.target ?? ""))).toEqual([]);
  });

  it("the dashboards answer every panel query without error during the outage", async () => {
    for (const { dashboard } of dashboards) {
      const during = await runDashboard(dashboard);
      expect(during.errors).toEqual([]);
      shownDuringOutage.set(dashboard.uid, during.shown);
    }
    // the open outages panel shows the root on its own and the dependants with their dependency
    const overview = dashboards.find(({ dashboard }) => dashboard.uid === "pantau-overview");
    const open = overview && dataPanels(overview.dashboard).find((p) => p.title === "Open outages");
    const expr = open?.targets?.[0]?.expr;
    if (!overview || !expr) throw new Error("no Open outages panel");
    const values = await variableValues(overview.dashboard);
    const rows = await query(substitute(expr, {}, regexValues(overview.dashboard, values)), true);
    expect(
      Object.fromEntries(
        (rows.data?.result ?? []).map((r) => [r.metric.target, r.metric.dependency ?? null]),
      ),
    ).toEqual({
      [CORE_ID]: null,
      ...Object.fromEntries(DEPENDANTS.map((id) => [id, CORE_ID])),
    });
  });

  it("sends the pager the resolution once the core is back, and never paged for a dependant", async () => {
    // the dependants and airports first: were the core back while they still failed, their
    // outages would become their own (docs/states-and-outages.md, attribution) and rightly page
    for (const id of [...DEPENDANTS, ...AUTOGATES]) {
      await estate.setBehaviour(id, { behaviour: "up" });
    }
    await prometheus.waitFor(
      `count(pantau_target_state{state="up", target!="${CORE_ID}"} == 1) == ${ALL_TARGETS.length - 1}`,
      20_000,
    );
    await estate.setBehaviour(CORE_ID, { behaviour: "up" });
    const resolved = await waitForNotification(
      (n) => n.path === "/pager" && n.status === "resolved",
      "the resolution of simkim-core's page",
    );
    expect(resolved.alerts.map((alert) => [alert.labels.alertname, alert.labels.target])).toEqual([
      ["PantauTargetOutage", CORE_ID],
    ]);
    expect(resolved.alerts[0]?.status).toBe("resolved");

    // over the whole run, not even pending: the rule never selected a blocked dependant
    const ever = await prometheus.api<PromResponse>("/api/v1/query", {
      query: `max_over_time(ALERTS{alertname=~"PantauTargetOutage|PantauServiceOutage|PantauSiteOutage", target!="${CORE_ID}"}[10m])`,
    });
    expect(ever.data?.result ?? []).toEqual([]);
    const pages = alerts(webhook.notifications.filter((n) => n.path === "/pager"));
    expect(new Set(pages.map((a) => a.labels.target))).toEqual(new Set([CORE_ID]));
    // the ended outages are in the histogram now, for the dashboards below
    await prometheus.waitFor(
      `pantau_outage_duration_seconds_count{service="immigration-core"} >= 1`,
    );
  });
});

describe("the dashboards on this Prometheus, after the outage", () => {
  it.each(dashboards.map(({ dashboard }) => [dashboard.uid, dashboard] as const))(
    "%s: every panel query, variables filled from this run, answers with data",
    async (uid, dashboard) => {
      const after = await runDashboard(dashboard);
      expect(after.errors).toEqual([]);
      // a panel shows data during the outage (open outages, blocked_by) or after it (ended
      // outages): Grafana's dashboard at either moment
      const during = shownDuringOutage.get(uid) ?? new Set<string>();
      const empty = after.panels.filter((panel) => !during.has(panel) && !after.shown.has(panel));
      const absent = new Set(
        dataPanels(dashboard)
          .filter(ofAbsentFamilies)
          .map((panel) => `panel ${panel.id} "${panel.title}"`),
      );
      expect(empty.filter((panel) => !absent.has(panel))).toEqual(KNOWN_EMPTY[uid] ?? []);
    },
  );
});

describe("pantau's live /metrics", () => {
  it("passes promtool check metrics, with blocked, degraded and ended outages in it", async () => {
    const text = await (await fetch(`${pantauUrl}/metrics`)).text();
    expect(text).toMatch(/pantau_outage_duration_seconds_count\{[^}]*service="immigration-core"/);
    expect(text).toMatch(/pantau_state_transitions_total\{[^}]*from="degraded"/);
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({
      status: 0,
      out: "",
    });
  });
});

/** renderMonitorConfig for what the estate serves, fast, named as the scrape config expects. */
function monitorConfig(served: Estate): string {
  const config = parse(
    renderMonitorConfig(served.served(), {
      // 250 ms of slack between a probe's timeout and its next slot: on a loaded CI machine a
      // tighter margin let a slow probe overrun its slot and fire PantauProbesSkipped
      interval: "500ms",
      timeout: "250ms",
      failureThreshold: 2,
      successThreshold: 2,
      degradedThreshold: 2,
      // manual mode degrades the airports; loopback never comes near this
      latencyOver: "200ms",
      listen: "127.0.0.1:0",
      storagePath: join(dir, "ledger.db"),
    }),
  ) as { global: Record<string, unknown> };
  config.global.instance = INSTANCE;
  return stringify(config);
}

/**
 * The shipped rules with every `for` cut to TEST_FOR. Only `for` changes: expressions, labels
 * and annotations are the shipped ones (the first test compares them).
 */
function testRules(): RuleFile {
  const copy = structuredClone(shippedRules);
  for (const group of copy.groups) {
    for (const rule of group.rules) if (rule.for !== undefined) rule.for = TEST_FOR;
  }
  return copy;
}

/**
 * The shipped scrape config with pantau's and Alertmanager's addresses on loopback and 1 s
 * intervals; job, instance label and the rule file entry as shipped.
 */
function testScrapeConfig(pantau: string, alertmanagerAddress: string): PrometheusConfig {
  const copy = structuredClone(shippedScrape);
  Object.assign(copy.global, { scrape_interval: "1s", evaluation_interval: "1s" });
  for (const am of copy.alerting.alertmanagers) {
    for (const sc of am.static_configs) sc.targets = [alertmanagerAddress];
  }
  const [scrape, ...others] = copy.scrape_configs;
  const [targets] = scrape?.static_configs ?? [];
  if (!scrape || !targets || others.length > 0) throw new Error("unexpected shipped scrape config");
  targets.targets = [pantau];
  return copy;
}

function alerts(notifications: readonly Notification[]): WebhookAlert[] {
  return notifications.flatMap((n) => n.alerts);
}

function ticketedTargets(): string[] {
  const tickets = alerts(webhook.notifications.filter((n) => n.path === "/ticket"));
  return [
    ...new Set(
      tickets
        .filter((a) => a.labels.alertname === "PantauTargetDegraded")
        .map((a) => a.labels.target ?? ""),
    ),
  ].sort();
}

async function waitForNotification(
  matches: (n: Notification) => boolean,
  what: string,
): Promise<Notification> {
  let found: Notification | undefined;
  await until(
    () => {
      found = webhook.notifications.find(matches);
      return found !== undefined;
    },
    { what, timeoutMs: 20_000 },
  );
  if (!found) throw new Error(what);
  return found;
}

/** Waits until Prometheus has evaluated the estate rules `n` more times (1 s apart). */
async function waitEvaluations(n: number): Promise<void> {
  const since = Date.now();
  await until(
    async () => {
      const { data } = await prometheus.api<RulesResponse>("/api/v1/rules");
      const group = data.groups.find((g) => g.name === "pantau-estate");
      return Date.parse(group?.lastEvaluation ?? "") > since + (n - 1) * 1000;
    },
    { what: `${n} rule evaluations`, timeoutMs: (n + 5) * 1000, intervalMs: 200 },
  );
  // and an Alertmanager group_interval (1 s in the test config) for anything they sent
  await until(() => Date.now() > since + (n + 1) * 1000, { what: "group interval" });
}

/**
 * Every panel query of a dashboard, variables filled with this run's values; a single-valued
 * variable (the target dashboard's target) value by value. The panels that showed data, and
 * the queries that failed.
 */
async function runDashboard(
  dashboard: Dashboard,
): Promise<{ panels: string[]; shown: Set<string>; errors: string[] }> {
  const values = await variableValues(dashboard);
  const single = singleValued(dashboard);
  const panels: string[] = [];
  const shown = new Set<string>();
  const errors: string[] = [];
  for (const panel of dataPanels(dashboard)) {
    const name = `panel ${panel.id} "${panel.title}"`;
    panels.push(name);
    for (const exact of combinations(single, values)) {
      for (const target of panel.targets ?? []) {
        const regex = { ...regexValues(dashboard, values), ...escapeAll(exact) };
        const expr = substitute(target.expr ?? "", exact, regex);
        const body = await query(expr, target.instant === true);
        if (body.status !== "success") {
          errors.push(`${name} ${target.refId} ${JSON.stringify(exact)}: ${body.error}`);
        }
        if ((body.data?.result ?? []).some(hasValue)) shown.add(name);
      }
    }
  }
  return { panels, shown, errors };
}

async function query(expr: string, instant: boolean): Promise<PromResponse> {
  const now = Date.now() / 1000;
  return instant
    ? prometheus.api<PromResponse>("/api/v1/query", { query: expr, time: String(now) })
    : prometheus.api<PromResponse>("/api/v1/query_range", {
        query: expr,
        start: String(now - 60),
        end: String(now),
        step: "1",
      });
}

/**
 * Each query variable's values, as Grafana lists them: `label_values(selector, label)` run in
 * order, earlier variables filled in (multi-valued ones as the regex of their values).
 */
async function variableValues(dashboard: Dashboard): Promise<Record<string, string[]>> {
  const values: Record<string, string[]> = {};
  for (const variable of dashboard.templating.list) {
    if (variable.type !== "query") continue;
    const match = /^label_values\(\s*(.*),\s*(\w+)\s*\)$/s.exec(variableQuery(variable).trim());
    if (!match?.[1] || !match[2]) throw new Error(`${dashboard.uid}: ${variable.name}`);
    const selector = substitute(match[1], {}, regexValues(dashboard, values));
    const body = await query(`group by (${match[2]}) (${selector})`, true);
    expect(body.status, `${dashboard.uid} variable ${variable.name}`).toBe("success");
    const listed = (body.data?.result ?? []).map((r) => r.metric[match[2] ?? ""] ?? "");
    expect(listed.length, `${dashboard.uid} variable ${variable.name}`).toBeGreaterThan(0);
    values[variable.name] = listed.sort();
  }
  // this run's job and daemon, the only ones listed
  expect(values.job).toEqual([JOB]);
  expect(values.instance).toEqual([INSTANCE]);
  return values;
}

/** Regex matchers: every value listed (Grafana's All for a multi-valued variable). */
function regexValues(
  dashboard: Dashboard,
  values: Record<string, string[]>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const variable of dashboard.templating.list) {
    const listed = values[variable.name];
    if (listed && isMulti(variable)) out[variable.name] = listed.map(escapeRegex).join("|");
  }
  return out;
}

function singleValued(dashboard: Dashboard): Variable[] {
  return dashboard.templating.list.filter((v) => v.type === "query" && !isMulti(v));
}

function isMulti(variable: Variable): boolean {
  return variable.multi === true || variable.includeAll === true;
}

function combinations(
  variables: readonly Variable[],
  values: Record<string, string[]>,
): Record<string, string>[] {
  return variables.reduce<Record<string, string>[]>(
    (acc, variable) =>
      acc.flatMap((partial) =>
        (values[variable.name] ?? []).map((value) => ({ ...partial, [variable.name]: value })),
      ),
    [{}],
  );
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&");
}

function escapeAll(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, escapeRegex(v)]));
}
