import { existsSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../support/cli.js";

/**
 * compose.yaml read as data (no Docker engine here; test/e2e/compose.e2e.test.ts has Compose
 * itself read it): every file it mounts exists, the services agree with each other — Prometheus
 * scrapes each pantau by the name the daemon gives itself, alerts the alertmanager service,
 * Grafana provisions the Prometheus service and finds the dashboards where they are mounted — and
 * both pantau configurations pass `pantau check`: the default one watches only the stack (nothing
 * pages about placeholder hosts), the demo one watches what the estate service serves, timed for
 * the speed it plays at.
 */

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  hostname?: string;
  profiles?: string[];
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  network_mode?: string;
  depends_on?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}
interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  dns_sd_configs?: { names: string[]; type: string; port: number }[];
  relabel_configs?: { target_label: string; replacement: string }[];
}
interface PrometheusConfig {
  global: Record<string, string>;
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: ScrapeConfig[];
}
interface WrittenTarget {
  id: string;
  each?: Record<string, string | number>[];
  http?: { url: string };
  tcp?: { host: string; port: number };
  degraded?: { latency_over?: string };
  [key: string]: unknown;
}
interface PantauConfig {
  global: { interval: string; timeout: string; instance?: string; canaries?: string[] };
  server: { listen: string };
  storage: { path: string };
  alertmanager?: { url: string };
  targets: WrittenTarget[];
}

// `<<: *pantau-image` is a YAML merge key, which Compose reads
const compose = parse(readFileSync("compose.yaml", "utf8"), { merge: true }) as Compose;
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};
const yamlFile = <T>(path: string) => parse(readFileSync(path, "utf8")) as T;
const composePrometheus = yamlFile<PrometheusConfig>("config/compose/prometheus.yml");
const examplePrometheus = yamlFile<PrometheusConfig>("config/prometheus/prometheus.yml");
const job = (name: string) => composePrometheus.scrape_configs.find((c) => c.job_name === name);

/** Bind mounts of a service: repository path → container path. */
function bindMounts(name: string): { host: string; container: string }[] {
  return (service(name).volumes ?? [])
    .map((volume) => volume.split(":"))
    .filter(([source]) => source?.startsWith(".") ?? false)
    .map(([source, container]) => ({
      host: relative(".", resolve(source as string)) || ".",
      container: container as string,
    }));
}

/** The repository file a container path of a service comes from; null when none is mounted. */
function hostPath(name: string, containerPath: string): string | null {
  for (const mount of bindMounts(name)) {
    if (containerPath === mount.container) return mount.host;
    if (containerPath.startsWith(`${mount.container}/`)) {
      return join(mount.host, posix.relative(mount.container, containerPath));
    }
  }
  return null;
}

const flag = (name: string, key: string) =>
  (service(name).command ?? []).find((arg) => arg.startsWith(`${key}=`))?.slice(key.length + 1);
const containerPort = (name: string) => service(name).ports?.[0]?.split(":").at(-1);
/** The configuration file a pantau service runs, as a repository path. */
const pantauConfigOf = (name: string) => {
  const command = service(name).command ?? [];
  expect(command.slice(0, 2)).toEqual(["run", "--config"]);
  return hostPath(name, command[2] ?? "");
};

describe("compose.yaml", () => {
  it("brings up pantau, Prometheus, Alertmanager and Grafana; the demo profile adds the estate and a pantau watching it", () => {
    const byProfile = (profile: string | undefined) =>
      Object.entries(compose.services)
        .filter(([, s]) => s.profiles?.[0] === profile)
        .map(([name]) => name)
        .sort();
    expect(byProfile(undefined)).toEqual(["alertmanager", "grafana", "pantau", "prometheus"]);
    expect(byProfile("demo")).toEqual(["estate", "pantau-demo"]);
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.profiles ?? [], name).toHaveLength(s.profiles ? 1 : 0);
      if (s.build) continue;
      expect(s.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  it("mounts only files and folders that exist, named volumes declared", () => {
    for (const name of Object.keys(compose.services)) {
      for (const mount of bindMounts(name)) expect(existsSync(mount.host), mount.host).toBe(true);
      for (const volume of service(name).volumes ?? []) {
        const source = volume.split(":")[0] as string;
        if (!source.startsWith(".")) expect(compose.volumes, source).toHaveProperty(source);
      }
    }
  });

  it("builds every pantau service from the Dockerfile into one image", () => {
    const pantauServices = ["pantau", "estate", "pantau-demo"];
    for (const name of pantauServices) {
      expect(service(name).build, name).toEqual({ context: ".", dockerfile: "Dockerfile" });
      expect(service(name).image, name).toBe("pantau:local");
    }
    expect(existsSync("Dockerfile")).toBe(true);
  });

  it("runs the stack's template with its ledger on a volume", () => {
    expect(pantauConfigOf("pantau")).toBe("config/compose/pantau.yaml");
    expect(service("pantau").volumes).toContain("pantau-data:/data");
    expect(containerPort("pantau")).toBe("9469");
  });

  it("has Prometheus load its config and the shipped rules beside it", () => {
    const configFile = flag("prometheus", "--config.file") ?? "";
    expect(hostPath("prometheus", configFile)).toBe("config/compose/prometheus.yml");
    for (const ruleFile of composePrometheus.rule_files) {
      const inContainer = posix.join(posix.dirname(configFile), ruleFile);
      expect(hostPath("prometheus", inContainer), ruleFile).toBe(
        join("config/prometheus", ruleFile),
      );
    }
  });

  it("has Prometheus do what config/prometheus/prometheus.yml does, plus the demo's daemon", () => {
    const { scrape_configs: exampleJobs, ...exampleRest } = examplePrometheus;
    const { scrape_configs: composeJobs, ...composeRest } = composePrometheus;
    expect(composeRest).toEqual(exampleRest);
    expect(composeJobs.filter((c) => c.job_name !== "pantau-demo")).toEqual(exampleJobs);
  });

  it("has Prometheus scrape the pantau service, labelled with the daemon's instance name", () => {
    const targets = job("pantau")?.static_configs?.flatMap((c) => c.targets) ?? [];
    expect(targets).toEqual([`pantau:${containerPort("pantau")}`]);
    // pantau's global.instance defaults to its host name: the alerts it pushes say jakarta-1 too
    expect(job("pantau")?.static_configs?.[0]?.labels?.instance).toBe(service("pantau").hostname);
  });

  it("has Prometheus alert the alertmanager service, which runs the shipped config", () => {
    const alertmanagers = composePrometheus.alerting.alertmanagers.flatMap((a) =>
      a.static_configs.flatMap((c) => c.targets),
    );
    expect(alertmanagers).toEqual([`alertmanager:${containerPort("alertmanager")}`]);
    const configFile = hostPath("alertmanager", flag("alertmanager", "--config.file") ?? "");
    expect(configFile).toBe("config/alertmanager/alertmanager.yml");
  });

  it("has Grafana provision the Prometheus service and the dashboards where they are mounted", () => {
    const provisioning = hostPath("grafana", "/etc/grafana/provisioning");
    expect(provisioning).toBe("config/grafana/provisioning");
    const datasources = yamlFile<{
      datasources: { type: string; url: string; isDefault?: boolean }[];
    }>("config/grafana/provisioning/datasources/pantau.yml");
    const prometheus = datasources.datasources.find((d) => d.type === "prometheus");
    expect(prometheus?.url).toBe(`http://prometheus:${containerPort("prometheus")}`);
    expect(prometheus?.isDefault).toBe(true);
    const alertmanager = datasources.datasources.find((d) => d.type === "alertmanager");
    expect(alertmanager?.url).toBe(`http://alertmanager:${containerPort("alertmanager")}`);

    const providers = yamlFile<{ providers: { type: string; options: { path: string } }[] }>(
      "config/grafana/provisioning/dashboards/pantau.yml",
    );
    const provider = providers.providers[0];
    expect(provider?.type).toBe("file");
    expect(hostPath("grafana", provider?.options.path ?? "")).toBe("dashboards");
    expect(statSync("dashboards").isDirectory()).toBe(true);
    const home = service("grafana").environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? "";
    expect(hostPath("grafana", home)).toBe("dashboards/pantau-overview.json");
  });
});

describe("config/compose/pantau.yaml, the default profile's template", () => {
  const file = "config/compose/pantau.yaml";
  const config = yamlFile<PantauConfig>(file);

  it("passes pantau check", async () => {
    const run = await runCli(["check", "--config", file]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain(`${file}: ok, 3 targets`);
    expect(run.code).toBe(0);
  });

  it("watches only services of the stack, on their container ports: nothing pages about placeholders", () => {
    const stack = ["prometheus", "alertmanager", "grafana"];
    const watched = config.targets.map((target) => {
      const url = new URL(target.http?.url ?? "");
      return `${url.hostname}:${url.port}`;
    });
    expect(watched).toEqual(stack.map((name) => `${name}:${containerPort(name)}`));
    // canaries that are placeholders always fail: the monitor would be blind from the start
    expect(config.global.canaries).toBeUndefined();
  });
});

describe("config/compose/demo.yaml, the demo profile's daemon", () => {
  const file = "config/compose/demo.yaml";
  const config = yamlFile<PantauConfig>(file);
  const estate = (service("estate").command ?? []).join(" ");
  const simulateFlag = (name: string) => new RegExp(`--${name} (\\S+)`).exec(estate)?.[1];

  it("passes pantau check", async () => {
    const run = await runCli(["check", "--config", file]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain(`${file}: ok, 12 targets`);
    expect(run.code).toBe(0);
  });

  it("watches the targets of config/demo.yaml (latency aside), which the estate serves", () => {
    const withoutLatency = (targets: WrittenTarget[]) =>
      targets.map(({ degraded, ...rest }) => {
        const { latency_over: _, ...other } = degraded ?? {};
        return { ...rest, degraded: other };
      });
    const native = yamlFile<PantauConfig>("config/demo.yaml");
    expect(withoutLatency(config.targets)).toEqual(withoutLatency(native.targets));
    expect(estate).toContain("simulate --scenario config/scenarios/pdns-2024.yaml");
    expect(simulateFlag("listen-base")).toBe("19400");
    const ports = config.targets.flatMap((target) =>
      target.each
        ? target.each.map((item) => Number(item.port))
        : [Number(new URL(target.http?.url ?? "").port)],
    );
    expect(ports).toEqual(ports.map((_, i) => 19400 + i));
  });

  it("shares the estate's network, is scraped there under its own name, and pushes to Alertmanager", () => {
    expect(service("pantau-demo").network_mode).toBe("service:estate");
    expect(pantauConfigOf("pantau-demo")).toBe(file);
    expect(service("pantau-demo").volumes).toContain("pantau-demo-data:/data");
    const listenPort = config.server.listen.split(":").at(-1);
    expect(config.server.listen).toBe(`0.0.0.0:${listenPort}`);
    expect(containerPort("estate")).toBe(listenPort);
    const demoJob = job("pantau-demo");
    expect(demoJob?.dns_sd_configs).toEqual([
      expect.objectContaining({ names: ["estate"], type: "A", port: Number(listenPort) }),
    ]);
    expect(demoJob?.relabel_configs).toEqual([
      { target_label: "instance", replacement: config.global.instance },
    ]);
    expect(config.alertmanager?.url).toBe(`http://alertmanager:${containerPort("alertmanager")}`);
  });

  it("is timed for the speed the estate plays at: slow answers degrade, and no answer is a timeout", () => {
    const speed = Number(simulateFlag("speed"));
    expect(speed).toBeGreaterThan(0);
    const ms = (text: string) => {
      const match = /^(\d+)(ms|s|m)$/.exec(text);
      if (!match) throw new Error(`not a simple duration: ${text}`);
      return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as "ms" | "s" | "m"];
    };
    const scenario = readFileSync("config/scenarios/pdns-2024.yaml", "utf8");
    const delays = [...scenario.matchAll(/mode: slow, delay: (\w+)/g)].map((m) => ms(m[1] ?? ""));
    expect(delays.length).toBeGreaterThan(0);
    for (const target of config.targets) {
      const latencyOver = ms(target.degraded?.latency_over ?? "");
      for (const delay of delays) {
        expect(delay / speed).toBeGreaterThan(latencyOver);
        expect(delay / speed).toBeLessThan(ms(config.global.timeout));
      }
    }
    // the simulator's restart between plays (about a second) is shorter than one interval, so
    // it costs at most one failed probe per target, never a DOWN
    expect(ms(config.global.interval)).toBeGreaterThanOrEqual(2000);
  });
});
