import { stringify } from "yaml";
import type { ServedEndpoint } from "./estate.js";

/**
 * A pantau config that monitors exactly what the simulator serves (`pantau simulate
 * --config-out`). The timing is fast enough to see every step of a scenario played at 3600×:
 * a scenario hour is one real second, a probe every 250ms, DOWN after two failures.
 */
export interface MonitorSettings {
  interval: string;
  timeout: string;
  failureThreshold: number;
  successThreshold: number;
  degradedThreshold: number;
  /** Above this a probe is degraded: below the `slow` delays scenarios use, far above loopback. */
  latencyOver: string;
  listen: string;
  storagePath: string;
}

export const DEMO_MONITOR: MonitorSettings = {
  interval: "250ms",
  timeout: "200ms",
  failureThreshold: 2,
  successThreshold: 2,
  degradedThreshold: 2,
  latencyOver: "80ms",
  listen: "127.0.0.1:9469",
  storagePath: "data/demo.db",
};

const STATUS_OK = { path: "status", equals: "ok" };
const MODE_MANUAL = { path: "mode", equals: "manual" };

export function renderMonitorConfig(
  served: readonly ServedEndpoint[],
  settings: MonitorSettings = DEMO_MONITOR,
): string {
  const config = {
    global: {
      interval: settings.interval,
      timeout: settings.timeout,
      failure_threshold: settings.failureThreshold,
      success_threshold: settings.successThreshold,
      degraded_threshold: settings.degradedThreshold,
    },
    server: { listen: settings.listen },
    storage: { path: settings.storagePath },
    targets: served.map((endpoint) => monitorTarget(endpoint, settings.latencyOver)),
  };
  const header = [
    "# Written by `pantau simulate --config-out`: monitors exactly what the simulator serves.",
    "# Valid while the simulator runs with the same ports; see docs/scenarios.md.",
  ].join("\n");
  return `${header}\n${stringify(config, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

function monitorTarget({ plan, url }: ServedEndpoint, latencyOver: string) {
  const checksStatus = plan.kind !== "portal" && plan.kind !== "generic";
  return {
    id: plan.id,
    name: plan.name,
    service: plan.service,
    ...(plan.site === "" ? {} : { site: plan.site }),
    ...(plan.dependsOn.length === 0 ? {} : { depends_on: plan.dependsOn }),
    http: { url },
    ...(checksStatus ? { expect: { json: STATUS_OK } } : {}),
    degraded:
      plan.kind === "autogate"
        ? { latency_over: latencyOver, json: MODE_MANUAL }
        : { latency_over: latencyOver },
  };
}
