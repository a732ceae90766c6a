/**
 * A small live stack for end-to-end tests of the shipped operations assets: a pantau daemon
 * watching loopback targets that cover its metrics (up, down, blocked by a dependency, inside a
 * maintenance window, behind TLS, flapping), scraped every second by Debian's real Prometheus as
 * config/prometheus/prometheus.yml would (job "pantau", instance = the daemon's name), with the
 * given rule files loaded.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Daemon } from "../../src/daemon/daemon.js";
import {
  type PromResponse,
  type PromResult,
  startPrometheus,
} from "../support/external/prometheus.js";
import { memoryLogger } from "../support/memory-log.js";
import {
  respond,
  startHttpServer,
  type TestServer,
  unusedPort,
} from "../support/servers/loopback.js";
import { type SwitchServer, startSwitchServer } from "../support/servers/switch.js";
import { testPki } from "../support/tls-certs.js";

export const INSTANCE = "e2e";

/** The estate: ids, and what each one shows. */
export const TARGETS = {
  /** down on its own (connection refused) */
  core: "simkim-core",
  /** up, then down after simkim-core: blocked by it */
  blocked: "autogate-cgk",
  /** down, inside a maintenance window */
  maintained: "kiosk-cgk",
  /** up, then down and up twice: ended outages, transitions */
  flapping: "portal-imigrasi",
  /** up over TLS: certificate expiry */
  tls: "evisa",
} as const;

export type { PromResponse, PromResult };

export interface LiveStack {
  pantauUrl: string;
  prometheusUrl: string;
  /** pantau's /metrics as Prometheus scrapes it. */
  metricsText(): Promise<string>;
  /** Prometheus' HTTP API: GET path?params, the JSON body. */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  /** Resolves once `expr` returns at least one series. */
  waitFor(expr: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startLiveStack(options: { ruleFiles: string[] }): Promise<LiveStack> {
  const dir = mkdtempSync(join(tmpdir(), "pantau-live-"));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true })];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const flapping = await startSwitchServer();
    cleanups.push(() => flapping.close());
    const dependant = await startSwitchServer();
    cleanups.push(() => dependant.close());
    const pki = testPki();
    const tls: TestServer = await startHttpServer(respond(200, "ok"), { tls: pki.valid });
    cleanups.push(() => tls.close());
    const refused = await unusedPort();

    const configFile = join(dir, "pantau.yaml");
    writeFileSync(
      configFile,
      pantauConfig(dir, { flapping, dependant }, tls.url("/"), pki.caFile, refused),
    );
    const daemon = await Daemon.start({ configFile, logger: memoryLogger("warn").logger });
    cleanups.push(() => daemon.stop());
    const address = daemon.httpAddress;
    if (!address) throw new Error("pantau serves no HTTP");
    const pantauUrl = `http://${address.host}:${address.port}`;

    const prometheusConfig = join(dir, "prometheus.yml");
    writeFileSync(
      prometheusConfig,
      JSON.stringify({
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        rule_files: options.ruleFiles.map((file) => resolve(file)),
        scrape_configs: [
          {
            job_name: "pantau",
            static_configs: [
              { targets: [`${address.host}:${address.port}`], labels: { instance: INSTANCE } },
            ],
          },
        ],
      }),
    );
    const prometheus = await startPrometheus({ configFile: prometheusConfig, dir });
    cleanups.push(() => prometheus.stop());
    const { api } = prometheus;
    const waitFor = async (expr: string, timeoutMs?: number) => {
      await prometheus.waitFor(expr, timeoutMs);
    };

    await waitFor("up");
    // a dependant that fails after its dependency is blocked by it (one failing first is not)
    await waitFor(`pantau_target_state{target="${TARGETS.core}", state="down"} == 1`);
    dependant.setUp(false);
    await waitFor(`pantau_target_blocked_by{target="${TARGETS.blocked}"}`);
    // an outage that ends, twice, while Prometheus watches: outage histograms and transitions
    // (real time: a real Prometheus must scrape each state at its 1 s interval)
    for (let i = 0; i < 2; i++) {
      await sleep(1500);
      flapping.setUp(false);
      await sleep(1500);
      flapping.setUp(true);
    }
    await waitFor(`pantau_outage_duration_seconds_count{instance="${INSTANCE}"} >= 2`);
    await waitFor(`count_over_time(up{instance="${INSTANCE}"}[1m]) >= 10`);

    return {
      pantauUrl,
      prometheusUrl: prometheus.url,
      metricsText: async () => (await fetch(`${pantauUrl}/metrics`)).text(),
      api,
      waitFor,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function pantauConfig(
  dir: string,
  servers: { flapping: SwitchServer; dependant: SwitchServer },
  tlsUrl: string,
  caFile: string,
  refusedPort: number,
): string {
  const down = `http://127.0.0.1:${refusedPort}/health`;
  return [
    "global: { interval: 250ms, timeout: 200ms, failure_threshold: 1, success_threshold: 1, instance: e2e }",
    "server: { listen: 127.0.0.1:0 }",
    `storage: { path: ${join(dir, "ledger.db")} }`,
    "maintenance:",
    `  - { name: always, targets: ["${TARGETS.maintained}"], cron: "* * * * *", duration: 1h }`,
    "targets:",
    `  - { id: ${TARGETS.core}, service: immigration-core, site: pdns2, tcp: { host: 127.0.0.1, port: ${refusedPort} } }`,
    `  - { id: ${TARGETS.blocked}, service: autogate, site: cgk, depends_on: [${TARGETS.core}], http: { url: "${servers.dependant.url}" } }`,
    `  - { id: ${TARGETS.maintained}, service: kiosk, site: cgk, http: { url: "${down}" } }`,
    `  - { id: ${TARGETS.flapping}, service: immigration-portal, site: jakarta, http: { url: "${servers.flapping.url}" } }`,
    `  - { id: ${TARGETS.tls}, service: evisa, site: jakarta, http: { url: "${tlsUrl}", tls: { ca_file: "${caFile}" } } }`,
    "",
  ].join("\n");
}
