import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { Daemon } from "../../src/daemon/daemon.js";
import {
  type PromResponse,
  type RunningPrometheus,
  startPrometheus,
} from "../support/external/prometheus.js";
import { memoryLogger } from "../support/memory-log.js";
import { type SwitchServer, startSwitchServer } from "../support/servers/switch.js";
import { until } from "../support/until.js";

/**
 * Debian's Prometheus (2.42) scraping a live pantau, through a pass-through proxy in this test
 * that records what each side sent: which format and encoding Prometheus asks for, what pantau
 * answers, and that Prometheus takes the answer — OpenMetrics, gzipped — as it should. Two jobs
 * scrape the same daemon: `pantau` with the shipped scrape config's metric_relabel_configs (the
 * `_created` samples dropped), `pantau-raw` without (they are stored: the answer was OpenMetrics).
 */

const SHIPPED_PROMETHEUS = "config/prometheus/prometheus.yml";

interface Exchange {
  request: IncomingHttpHeaders;
  response: IncomingHttpHeaders;
  bytes: number;
}

const dir = mkdtempSync(join(tmpdir(), "pantau-scrape-"));
let web: SwitchServer;
let daemon: Daemon;
let proxy: Server;
let prometheus: RunningPrometheus;
const exchanges: Exchange[] = [];

/** Forwards every request to pantau unchanged and records both sides' headers. */
async function startProxy(upstreamPort: number): Promise<number> {
  proxy = createServer((req, res) => {
    const upstream = request(
      {
        host: "127.0.0.1",
        port: upstreamPort,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        const exchange: Exchange = { request: req.headers, response: answer.headers, bytes: 0 };
        answer.on("data", (part: Buffer) => {
          exchange.bytes += part.length;
        });
        answer.on("end", () => exchanges.push(exchange));
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return (proxy.address() as AddressInfo).port;
}

interface ShippedJob {
  job_name: string;
  metric_relabel_configs?: unknown[];
}

beforeAll(async () => {
  web = await startSwitchServer();
  const config = join(dir, "pantau.yaml");
  writeFileSync(
    config,
    [
      "global: { interval: 500ms, timeout: 400ms, failure_threshold: 1, instance: scrape }",
      "server: { listen: 127.0.0.1:0 }",
      `storage: { path: ${join(dir, "ledger.db")} }`,
      "targets:",
      `  - { id: portal, service: immigration-portal, site: jakarta, http: { url: "${web.url}" } }`,
      "  - { id: core, service: immigration-core, site: pdns2, tcp: { host: 127.0.0.1, port: 1 } }",
      "",
    ].join("\n"),
  );
  daemon = await Daemon.start({ configFile: config, logger: memoryLogger("info").logger });
  const proxyPort = await startProxy(daemon.httpAddress!.port);
  const shipped = parse(readFileSync(SHIPPED_PROMETHEUS, "utf8")) as {
    scrape_configs: ShippedJob[];
  };
  const relabel = shipped.scrape_configs.find(
    (job) => job.job_name === "pantau",
  )?.metric_relabel_configs;
  const target = [{ targets: [`127.0.0.1:${proxyPort}`], labels: { instance: "scrape" } }];
  writeFileSync(
    join(dir, "prometheus.yml"),
    stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      scrape_configs: [
        { job_name: "pantau", static_configs: target, metric_relabel_configs: relabel },
        { job_name: "pantau-raw", static_configs: target },
      ],
    }),
  );
  prometheus = await startPrometheus({ configFile: join(dir, "prometheus.yml"), dir });
});

afterAll(async () => {
  await prometheus?.stop();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await daemon?.stop();
  await web?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function query(expr: string): Promise<{ labels: Record<string, string>; value: number }[]> {
  const body = await prometheus.api<PromResponse>("/api/v1/query", { query: expr });
  expect(body.status, `${expr}: ${body.error}`).toBe("success");
  return (body.data?.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value?.[1]) }));
}

describe("Prometheus scraping pantau", () => {
  it("asks for OpenMetrics and gzip, and pantau answers both", async () => {
    await until(
      () => exchanges.filter((e) => e.request["user-agent"]?.startsWith("Prometheus")).length >= 2,
      {
        what: "two scrapes by Prometheus",
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
    const scrape = exchanges.find((e) => e.request["user-agent"]?.startsWith("Prometheus"))!;
    // Prometheus 2.42's scrape.go acceptHeader and its gzip request, as sent
    expect(scrape.request.accept).toBe(
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    );
    expect(scrape.request["accept-encoding"]).toBe("gzip");
    expect(scrape.response["content-type"]).toBe(
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
    );
    expect(scrape.response["content-encoding"]).toBe("gzip");
  });

  it("takes the answer: the target is up and pantau's series are stored", async () => {
    await prometheus.waitFor('pantau_probes_total{job="pantau",target="portal",result="ok"} > 0');
    const up = await query("up");
    expect(up.map((s) => [s.labels.job, s.value]).sort()).toEqual([
      ["pantau", 1],
      ["pantau-raw", 1],
    ]);
    // a TCP target has no HTTP series; an HTTP target has them
    expect(await query('probe_http_status_code{target="core"}')).toEqual([]);
    expect((await query('probe_http_status_code{job="pantau",target="portal"}'))[0]?.value).toBe(
      200,
    );
    const down = await prometheus.waitFor(
      'pantau_target_state{job="pantau",target="core",state="down"} == 1',
    );
    expect(down).toHaveLength(1);
  });

  it("stores OpenMetrics' _created samples unless the shipped relabelling drops them", async () => {
    const raw = await prometheus.waitFor('pantau_probes_created{job="pantau-raw",result="ok"}');
    expect(raw.map((s) => s.metric.target).sort()).toEqual(["core", "portal"]);
    expect(await query('{__name__=~".+_created",job="pantau"}')).toEqual([]);
    // what the shipped job dropped: the _created samples it was sent, no more (both jobs'
    // latest scrapes must have seen the same estate: waited for, in case a series just appeared)
    const dropped = async () => {
      const [scraped] = await query('scrape_samples_scraped{job="pantau"}');
      const [kept] = await query('scrape_samples_post_metric_relabeling{job="pantau"}');
      const [created] = await query('count({__name__=~".+_created",job="pantau-raw"})');
      return { dropped: (scraped?.value ?? 0) - (kept?.value ?? 0), created: created?.value };
    };
    const counts = await until(
      async () => {
        const now = await dropped();
        return now.dropped === now.created && now.created! > 0 ? now : null;
      },
      { what: "the dropped samples to be the _created ones", timeoutMs: 10_000, intervalMs: 500 },
    ).catch(dropped);
    expect(counts.dropped).toBe(counts.created);
    expect(counts.created).toBeGreaterThan(0);
  });
});
