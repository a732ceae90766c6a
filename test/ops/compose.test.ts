import { existsSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * config/compose.yaml read as data (no Docker engine here): every file it mounts exists, and the
 * four services agree with each other — Prometheus scrapes the pantau service by the name its
 * hostname gives the daemon, alerts the alertmanager service, Grafana provisions the Prometheus
 * service and finds the dashboards where they are mounted.
 */

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  hostname?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}
interface PrometheusConfig {
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: {
    job_name: string;
    static_configs: { targets: string[]; labels?: Record<string, string> }[];
  }[];
}

const COMPOSE_DIR = "config";
const compose = parse(readFileSync(join(COMPOSE_DIR, "compose.yaml"), "utf8")) as Compose;
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};
const prometheusYml = parse(
  readFileSync("config/prometheus/prometheus.yml", "utf8"),
) as PrometheusConfig;

/** Bind mounts of a service: repository path (from the repository root) → container path. */
function bindMounts(name: string): { host: string; container: string }[] {
  return (service(name).volumes ?? [])
    .map((volume) => volume.split(":"))
    .filter(([source]) => source?.startsWith(".") ?? false)
    .map(([source, container]) => ({
      host: relative(".", resolve(COMPOSE_DIR, source as string)),
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

describe("config/compose.yaml", () => {
  it("brings up pantau, Prometheus, Alertmanager and Grafana, images pinned", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "alertmanager",
      "grafana",
      "pantau",
      "prometheus",
    ]);
    for (const [name, s] of Object.entries(compose.services)) {
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

  it("builds pantau from the Dockerfile and runs the mounted config with its ledger on a volume", () => {
    const pantau = service("pantau");
    expect(pantau.build).toEqual({ context: "..", dockerfile: "Dockerfile" });
    expect(existsSync(join(resolve(COMPOSE_DIR, ".."), "Dockerfile"))).toBe(true);
    const command = pantau.command ?? [];
    expect(command.slice(0, 2)).toEqual(["run", "--config"]);
    expect(hostPath("pantau", command[2] ?? "")).toBe("config/pantau.yaml");
    expect(pantau.volumes).toContain("pantau-data:/data");
    expect(containerPort("pantau")).toBe("9469");
  });

  it("has Prometheus load the shipped scrape config and rules", () => {
    const configFile = hostPath("prometheus", flag("prometheus", "--config.file") ?? "");
    expect(configFile).toBe("config/prometheus/prometheus.yml");
    for (const ruleFile of prometheusYml.rule_files) {
      expect(existsSync(join("config/prometheus", ruleFile)), ruleFile).toBe(true);
    }
  });

  it("has Prometheus scrape the pantau service, labelled with the daemon's instance name", () => {
    const job = prometheusYml.scrape_configs.find((c) => c.job_name === "pantau");
    const targets = job?.static_configs.flatMap((c) => c.targets) ?? [];
    expect(targets).toEqual([`pantau:${containerPort("pantau")}`]);
    // pantau's global.instance defaults to its host name: the alerts it pushes say jakarta-1 too
    expect(job?.static_configs[0]?.labels?.instance).toBe(service("pantau").hostname);
  });

  it("has Prometheus alert the alertmanager service, which runs the shipped config", () => {
    const alertmanagers = prometheusYml.alerting.alertmanagers.flatMap((a) =>
      a.static_configs.flatMap((c) => c.targets),
    );
    expect(alertmanagers).toEqual([`alertmanager:${containerPort("alertmanager")}`]);
    const configFile = hostPath("alertmanager", flag("alertmanager", "--config.file") ?? "");
    expect(configFile).toBe("config/alertmanager/alertmanager.yml");
  });

  it("has Grafana provision the Prometheus service and the dashboards where they are mounted", () => {
    const provisioning = hostPath("grafana", "/etc/grafana/provisioning");
    expect(provisioning).toBe("config/grafana/provisioning");
    const datasources = parse(
      readFileSync("config/grafana/provisioning/datasources/pantau.yml", "utf8"),
    ) as { datasources: { type: string; url: string; isDefault?: boolean }[] };
    const prometheus = datasources.datasources.find((d) => d.type === "prometheus");
    expect(prometheus?.url).toBe(`http://prometheus:${containerPort("prometheus")}`);
    expect(prometheus?.isDefault).toBe(true);
    const alertmanager = datasources.datasources.find((d) => d.type === "alertmanager");
    expect(alertmanager?.url).toBe(`http://alertmanager:${containerPort("alertmanager")}`);

    const providers = parse(
      readFileSync("config/grafana/provisioning/dashboards/pantau.yml", "utf8"),
    ) as { providers: { type: string; options: { path: string } }[] };
    const provider = providers.providers[0];
    expect(provider?.type).toBe("file");
    const dashboards = hostPath("grafana", provider?.options.path ?? "");
    expect(dashboards).toBe("dashboards");
    expect(statSync("dashboards").isDirectory()).toBe(true);
    const home = service("grafana").environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? "";
    const homeFile = hostPath("grafana", home);
    expect(homeFile).toBe("dashboards/pantau-overview.json");
  });
});
