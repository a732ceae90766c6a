import { stringify } from "yaml";
import type { ServedEndpoint } from "./estate.js";
import type { EndpointKind } from "./plan.js";

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
  /** Kinds whose latency is judged (`latencyOver`); absent: every kind. */
  latencyKinds?: readonly EndpointKind[];
  /** `storage.heartbeat`; absent: the config's default. */
  heartbeat?: string;
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

/**
 * `pantau demo`'s monitor, in scenario time: its daemon runs on the scenario's clock, so these
 * are scenario durations — a probe every 10 minutes, DOWN after two failures. A step on a whole
 * half hour then falls between two probes of each target (no id of the estate has a slot on a
 * half hour or in the minute before one: test/sim/pdns-2024.test.ts holds it to that), and the
 * demo's ledger times are exact.
 * At the demo's speeds a loopback round trip of a few real ms reads as a minute or more, so
 * latency is judged on the services only, over 5 minutes: a `slow` e-Visa answers in 7 on the
 * same clock, exactly, while a quick answer slowed by a stall of the replay (a cold start, a
 * collection) stays under 5. On the gateways a stall would otherwise read as manual mode.
 */
export const SCENARIO_MONITOR: MonitorSettings = {
  interval: "10m",
  timeout: "9m30s",
  failureThreshold: 2,
  successThreshold: 2,
  degradedThreshold: 2,
  latencyOver: "5m",
  latencyKinds: ["service"],
  listen: "127.0.0.1:9469",
  storagePath: "data/demo.db",
  heartbeat: "1h",
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
    storage: {
      path: settings.storagePath,
      ...(settings.heartbeat === undefined ? {} : { heartbeat: settings.heartbeat }),
    },
    targets: served.map((endpoint) => monitorTarget(endpoint, settings)),
  };
  const header = [
    "# Written by `pantau simulate --config-out`: monitors exactly what the simulator serves.",
    "# Valid while the simulator runs with the same ports; see docs/scenarios.md.",
  ].join("\n");
  return `${header}\n${stringify(config, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

function monitorTarget({ plan, url }: ServedEndpoint, settings: MonitorSettings) {
  const checksStatus = plan.kind !== "portal" && plan.kind !== "generic";
  const judgesLatency = settings.latencyKinds?.includes(plan.kind) ?? true;
  const latency = judgesLatency ? { latency_over: settings.latencyOver } : {};
  return {
    id: plan.id,
    name: plan.name,
    service: plan.service,
    ...(plan.site === "" ? {} : { site: plan.site }),
    ...(plan.dependsOn.length === 0 ? {} : { depends_on: plan.dependsOn }),
    http: { url },
    ...(checksStatus ? { expect: { json: STATUS_OK } } : {}),
    ...degradedWhen(plan.kind === "autogate" ? { ...latency, json: MODE_MANUAL } : latency),
  };
}

function degradedWhen(rules: object) {
  return Object.keys(rules).length === 0 ? {} : { degraded: rules };
}
