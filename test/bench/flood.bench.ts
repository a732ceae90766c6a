import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { exchange } from "../support/http-clients.js";
import { envList, envNumber, sleep } from "./env.js";
import { fmtInt } from "./measure.js";
import { freePort, startDaemon, targetId, workDir } from "./pantau.js";
import { SlowFlood } from "./slow-flood.js";
import { printTable, quantile } from "./table.js";

/**
 * Connection floods against the daemon's HTTP server: `slow` slowloris connections (part of a
 * head, a byte every 2 s, reopened when closed), then rounds of `parallel` /metrics scrapes on
 * fresh connections as Prometheus sends them, with /-/healthy and /-/ready beside each round —
 * how many are answered 200 and how long the scrapes take.
 */
const HOST = "127.0.0.1";
const PROMETHEUS_HEADERS = {
  accept:
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
  "accept-encoding": "gzip",
};

function writeFloodConfig(dir: string, count: number, port: number, upPort: number): string {
  const config = {
    global: { interval: "10s", timeout: "2s", instance: "bench" },
    server: { listen: `${HOST}:${port}` },
    storage: { path: join(dir, "ledger.db") },
    targets: Array.from({ length: count }, (_, i) => ({
      id: targetId(i),
      service: `svc-${i % 20}`,
      site: `site-${i % 50}`,
      tcp: { host: HOST, port: upPort },
    })),
  };
  const file = join(dir, "pantau.yaml");
  writeFileSync(file, stringify(config, { lineWidth: 0 }));
  return file;
}

interface Round {
  scrapes: { status: number | null; error: string | null; ms: number }[];
  checks: number;
  checksOk: number;
}

async function round(port: number, parallel: number): Promise<Round> {
  const scraping = Array.from({ length: parallel }, () =>
    exchange(HOST, port, "/metrics", { headers: PROMETHEUS_HEADERS, timeoutMs: 30_000 }),
  );
  const checking = ["/-/healthy", "/-/ready"].map((path) => exchange(HOST, port, path));
  const [scrapes, checks] = [await Promise.all(scraping), await Promise.all(checking)];
  return {
    scrapes,
    checks: checks.length,
    checksOk: checks.filter((c) => c.status === 200).length,
  };
}

export async function floodBench(): Promise<void> {
  const slowCounts = envList("BENCH_FLOOD_SLOW", [0, 300, 600, 1000, 2000], [0, 600]);
  const parallel = envNumber("BENCH_FLOOD_SCRAPES", 70, 70);
  const rounds = envNumber("BENCH_FLOOD_ROUNDS", 5, 3);
  const targets = envNumber("BENCH_FLOOD_TARGETS", 200, 50);
  const up = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => up.listen(0, HOST, resolve));
  const upPort = (up.address() as { port: number }).port;
  const port = await freePort();
  const daemon = await startDaemon(writeFloodConfig(workDir("flood"), targets, port, upPort), port);
  const rows: string[][] = [];
  try {
    for (const slow of slowCounts) {
      const load = loadavg()[0] ?? 0;
      const flood = new SlowFlood(HOST, port, slow);
      await flood.ready();
      await sleep(2_000); // older than a request head should take
      const results: Round[] = [];
      for (let r = 0; r < rounds; r++) {
        results.push(await round(port, parallel));
        await sleep(1_000);
      }
      flood.stop();
      rows.push(row(slow, results, flood, load, loadavg()[0] ?? 0));
      await sleep(1_000);
    }
  } finally {
    await daemon.stop();
    up.close();
  }
  printTable(
    `Connection floods: ${fmtInt(targets)} targets; slowloris connections held (a byte every 2 s, reopened when closed), then ${rounds} rounds of ${parallel} parallel /metrics scrapes on fresh connections + /-/healthy + /-/ready, 1 s apart`,
    [
      "slow connections",
      "scrapes 200 / sent",
      "scrapes not 200",
      "scrape p50 / p99 (200s)",
      "health checks 200",
      "slow ones closed by the server (answered first)",
      "load average (1 min) before → after",
    ],
    rows,
  );
}

function row(slow: number, results: Round[], flood: SlowFlood, before: number, after: number) {
  const scrapes = results.flatMap((r) => r.scrapes);
  const ok = scrapes.filter((s) => s.status === 200);
  const causes = new Map<string, number>();
  for (const s of scrapes) {
    if (s.status === 200) continue;
    const cause = s.status === null ? (s.error ?? "error") : String(s.status);
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
  }
  const latencies = ok.map((s) => s.ms);
  return [
    fmtInt(slow),
    `${fmtInt(ok.length)} / ${fmtInt(scrapes.length)}`,
    causes.size === 0 ? "0" : [...causes].map(([c, n]) => `${c} ${fmtInt(n)}`).join(", "),
    ok.length === 0
      ? "–"
      : `${quantile(latencies, 0.5).toFixed(0)} / ${quantile(latencies, 0.99).toFixed(0)} ms`,
    `${results.reduce((s, r) => s + r.checksOk, 0)} / ${results.reduce((s, r) => s + r.checks, 0)}`,
    `${fmtInt(flood.closedByServer)} (${fmtInt(flood.answered)})`,
    `${before.toFixed(1)} → ${after.toFixed(1)}`,
  ];
}
