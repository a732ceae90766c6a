import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Daemon } from "../../src/daemon/daemon.js";
import { dataPanels, type Panel, shippedDashboards } from "../dashboards/grafana-model.js";
import { metricNames } from "../dashboards/promql-names.js";
import { KIND_FAMILIES, onlyOf, QUORUM_FAMILY } from "../dashboards/run-families.js";
import { pantauMain } from "../support/built-cli.js";
import {
  alertmanagerTestConfig,
  type RunningAlertmanager,
  startAlertmanager,
  startWebhook,
  type Webhook,
} from "../support/external/alertmanager.js";
import { hasValue, substitute } from "../support/external/dashboard-queries.js";
import {
  type PromResponse,
  type RunningPrometheus,
  startPrometheus,
  terminate,
} from "../support/external/prometheus.js";
import { memoryLogger } from "../support/memory-log.js";

/**
 * `docker compose --profile demo up` rehearsed without Docker, on loopback: the estate service's
 * simulator command (its flags as compose.yaml gives them, ports picked by the system), a daemon
 * on config/compose/demo.yaml (only addresses replaced), Debian's Prometheus on
 * config/compose/prometheus.yml (the demo job's scrape interval and relabelling as shipped, its
 * DNS lookup replaced by the daemon's address) and Alertmanager on the shipped config. Every panel
 * of the shipped dashboards, queried as Grafana would with the shipped data source, must show
 * data within two minutes of the simulator's start.
 */

const DEADLINE_MS = 120_000;
/**
 * Panels that cannot show data in the demo: an HA pair's leadership (global.ha_group, with a
 * PostgreSQL ledger), and certificates (the simulated estate serves plain HTTP).
 */
const NOT_IN_THE_DEMO = new Set(["pantau_ha_leader", "probe_ssl_earliest_cert_expiry"]);

interface ComposeFile {
  services: Record<string, { command?: string[] }>;
}
interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  dns_sd_configs?: unknown;
  static_configs?: { targets: string[] }[];
  relabel_configs?: unknown[];
}

const compose = parse(readFileSync("compose.yaml", "utf8"), { merge: true }) as ComposeFile;
const dashboards = shippedDashboards();

/** The estate service's `pantau simulate` flags, the fixed port base left out. */
function simulateArgs(): string[] {
  const script = (compose.services.estate?.command ?? []).join(" ");
  const command = /node dist\/cli\/main\.js (simulate [^|;]*)/.exec(script)?.[1] ?? "";
  const args = command.trim().split(/\s+/);
  const base = args.indexOf("--listen-base");
  expect(base).toBeGreaterThan(0);
  args.splice(base, 2);
  return args;
}

/** Starts the simulator; resolves with it and the URL of each endpoint, in the estate's order. */
async function startEstate(): Promise<{ child: ChildProcess; urls: string[] }> {
  const child = spawn(process.execPath, [pantauMain(), ...simulateArgs()], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.setEncoding("utf8");
  const urls = await new Promise<string[]>((done, fail) => {
    child.stdout?.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("\nscenario ")) {
        done([...out.matchAll(/^\S+ (http:\/\/127\.0\.0\.1:\d+)\S*$/gm)].map((m) => m[1] ?? ""));
      }
    });
    child.on("exit", (code) => fail(new Error(`simulate exited ${code}: ${out}`)));
  });
  return { child, urls };
}

/** config/compose/demo.yaml with the estate's ports (19400 + i → the i-th URL's) and loopback addresses. */
function demoConfig(dir: string, urls: string[], alertmanagerUrl: string): string {
  const text = readFileSync("config/compose/demo.yaml", "utf8")
    .replace(/\b194(0\d|1[01])\b/g, (port) => {
      const url = urls[Number(port) - 19400];
      if (!url) throw new Error(`no endpoint for port ${port}`);
      return new URL(url).port;
    })
    .replace(/listen: 0\.0\.0\.0:9469/, "listen: 127.0.0.1:0")
    .replace(/path: data\/demo\.db/, `path: ${join(dir, "demo.db")}`)
    .replace(/url: http:\/\/alertmanager:9093/, `url: ${alertmanagerUrl}`);
  expect(text).not.toMatch(/0\.0\.0\.0|alertmanager:9093|data\/demo\.db/);
  return text;
}

/** config/compose/prometheus.yml with the demo job pointed at `daemon`, alerts to `alertmanager`. */
function prometheusConfig(daemon: string, alertmanager: string): string {
  const config = parse(readFileSync("config/compose/prometheus.yml", "utf8")) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  const demo = config.scrape_configs.find((job) => job.job_name === "pantau-demo");
  if (!demo?.dns_sd_configs) throw new Error("no pantau-demo job found by DNS");
  const { dns_sd_configs: _, ...shipped } = demo;
  return JSON.stringify({
    global: config.global,
    rule_files: config.rule_files.map((file) => resolve("config/prometheus", file)),
    alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager] }] }] },
    scrape_configs: [{ ...shipped, static_configs: [{ targets: [daemon] }] }],
  });
}

/**
 * Grafana's interval variables for the dashboards' default range (6 h) and the shipped data
 * source's timeInterval (15 s): $__rate_interval is four of those.
 */
function grafanaExpr(expr: string, target?: string): string {
  const intervals = expr
    .replace(/\$\{?__rate_interval\}?/g, "1m")
    .replace(/\$\{?__interval\}?/g, "20s")
    .replace(/\$\{?__range_s\}?/g, "21600")
    .replace(/\$\{?__range\}?/g, "6h");
  return substitute(intervals, target === undefined ? {} : { target });
}

describe("docker compose --profile demo up, rehearsed on loopback", () => {
  const dir = mkdtempSync(join(tmpdir(), "pantau-compose-demo-"));
  let estate: { child: ChildProcess; urls: string[] };
  let daemon: Daemon;
  let prometheus: RunningPrometheus;
  let alertmanager: RunningAlertmanager;
  let webhook: Webhook;
  let startedAt: number;

  beforeAll(async () => {
    webhook = await startWebhook();
    alertmanager = await startAlertmanager({
      configText: alertmanagerTestConfig(webhook.url),
      dir,
    });
    startedAt = Date.now();
    estate = await startEstate();
    const configFile = join(dir, "demo.yaml");
    writeFileSync(configFile, demoConfig(dir, estate.urls, alertmanager.url));
    daemon = await Daemon.start({ configFile, logger: memoryLogger("warn").logger });
    const address = daemon.httpAddress;
    if (!address) throw new Error("pantau serves no HTTP");
    const prometheusFile = join(dir, "prometheus.yml");
    writeFileSync(
      prometheusFile,
      prometheusConfig(`${address.host}:${address.port}`, alertmanager.address),
    );
    prometheus = await startPrometheus({ configFile: prometheusFile, dir });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await daemon?.stop();
    if (estate) await terminate(estate.child);
    await alertmanager?.stop();
    await webhook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Whether one of the panel's queries returns a sample, over the run so far or now. */
  async function shows(panel: Panel, target?: string): Promise<boolean> {
    for (const panelTarget of panel.targets ?? []) {
      const query = grafanaExpr(panelTarget.expr ?? "", target);
      const now = Date.now() / 1000;
      const body = panelTarget.instant
        ? await prometheus.api<PromResponse>("/api/v1/query", { query, time: String(now) })
        : await prometheus.api<PromResponse>("/api/v1/query_range", {
            query,
            start: String(startedAt / 1000),
            end: String(now),
            step: "5",
          });
      expect({ panel: panel.title, status: body.status, error: body.error }).toEqual({
        panel: panel.title,
        status: "success",
        error: undefined,
      });
      if ((body.data?.result ?? []).some(hasValue)) return true;
    }
    return false;
  }

  it(
    "shows data in every panel of the shipped dashboards within two minutes",
    async () => {
      const ids = (
        await prometheus.waitFor('pantau_target_info{job="pantau-demo", instance="demo"}', 60_000)
      ).map((series) => series.metric.target ?? "");
      expect(ids).toHaveLength(12);
      const pending = new Map<string, { panel: Panel; perTarget: boolean }>();
      for (const { dashboard } of dashboards) {
        for (const panel of dataPanels(dashboard)) {
          const names = (panel.targets ?? []).flatMap((t) => metricNames(t.expr ?? ""));
          const absent = (name: string) =>
            NOT_IN_THE_DEMO.has(name) || onlyOf([name], [QUORUM_FAMILY, ...KIND_FAMILIES]);
          if (names.length > 0 && names.every(absent)) continue;
          const perTarget = JSON.stringify(panel.targets).includes('target=\\"$target\\"');
          pending.set(`${dashboard.uid}: panel ${panel.id} "${panel.title}"`, { panel, perTarget });
        }
      }
      expect(pending.size).toBeGreaterThan(50);
      const shownAfter: Record<string, number> = {};
      while (pending.size > 0 && Date.now() - startedAt <= DEADLINE_MS) {
        for (const [where, { panel, perTarget }] of pending) {
          const targets = perTarget ? ids : [undefined];
          for (const target of targets) {
            if (!(await shows(panel, target))) continue;
            shownAfter[where] = Math.round((Date.now() - startedAt) / 1000);
            pending.delete(where);
            break;
          }
        }
        if (pending.size > 0) await sleep(5000);
      }
      const last = Object.entries(shownAfter)
        .sort(([, a], [, b]) => b - a)
        .slice(0, 5);
      console.log(
        `compose demo: ${Object.keys(shownAfter).length} panels with data; the last ones after ` +
          last.map(([where, seconds]) => `${seconds}s (${where})`).join(", "),
      );
      expect([...pending.keys()]).toEqual([]);
      // pantau pushed the core's outage to Alertmanager, which routed it (to the test's webhook)
      expect(webhook.notifications.length).toBeGreaterThan(0);
    },
    DEADLINE_MS + 60_000,
  );
});
