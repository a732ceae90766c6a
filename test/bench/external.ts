import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { sleep } from "./env.js";

/** Debian's prometheus and blackbox_exporter, started on loopback for the side-by-side run. */
export const BLACKBOX = "/usr/bin/prometheus-blackbox-exporter";
export const PROMETHEUS = "/usr/bin/prometheus";

export function startBlackbox(dir: string, port: number): ChildProcess {
  const config = join(dir, "blackbox.yml");
  writeFileSync(
    config,
    stringify({
      modules: {
        http_2xx: { prober: "http", timeout: "2s", http: { preferred_ip_protocol: "ip4" } },
      },
    }),
  );
  return spawn(BLACKBOX, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: "ignore",
  });
}

/** The standard multi-target setup: one scrape of `/probe?target=URL` per target. */
export function blackboxScrape(urls: readonly string[], blackboxPort: number, every: string) {
  return {
    job_name: "blackbox",
    scrape_interval: every,
    scrape_timeout: "4s",
    metrics_path: "/probe",
    params: { module: ["http_2xx"] },
    static_configs: [{ targets: urls }],
    relabel_configs: [
      { source_labels: ["__address__"], target_label: "__param_target" },
      { source_labels: ["__param_target"], target_label: "instance" },
      { target_label: "__address__", replacement: `127.0.0.1:${blackboxPort}` },
    ],
  };
}

export function pantauScrape(pantauPort: number, every: string) {
  return {
    job_name: "pantau",
    scrape_interval: every,
    scrape_timeout: "10s",
    static_configs: [{ targets: [`127.0.0.1:${pantauPort}`] }],
  };
}

export function startPrometheus(dir: string, port: number, scrapeConfigs: object[]): ChildProcess {
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, stringify({ global: {}, scrape_configs: scrapeConfigs }, { lineWidth: 0 }));
  return spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
}

export async function waitHttp(url: string, child: ChildProcess, limitMs = 60_000): Promise<void> {
  const began = performance.now();
  while (performance.now() - began < limitMs) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready after ${limitMs} ms`);
}
