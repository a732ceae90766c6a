import type { Shard } from "./shard.js";

/**
 * The resolved configuration: defaults applied, `each` expanded, `${VAR}` substituted,
 * durations and sizes parsed. All durations are milliseconds, all sizes bytes.
 */

export type IpFamily = "any" | "ipv4" | "ipv6";

export interface TlsSettings {
  caFile: string | null;
  serverName: string | null;
  insecureSkipVerify: boolean;
}

export interface HttpProbeSpec {
  kind: "http";
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  followRedirects: boolean;
  maxRedirects: number;
  maxBody: number;
  tls: TlsSettings;
  ipFamily: IpFamily;
}

export interface TcpProbeSpec {
  kind: "tcp";
  host: string;
  port: number;
  /** Perform a TLS handshake after connecting. */
  tls: boolean;
  tlsSettings: TlsSettings;
  ipFamily: IpFamily;
}

export type ProbeSpec = HttpProbeSpec | TcpProbeSpec;

/** Inclusive status range, `200-299` → { min: 200, max: 299 }; `204` → { min: 204, max: 204 }. */
export interface StatusRange {
  min: number;
  max: number;
}

export interface JsonCondition {
  /** Dotted path into the JSON body: `status`, `checks.0.state`. */
  path: string;
  equals: string | number | boolean | null;
}

export interface Expectations {
  status: StatusRange[];
  bodyContains: string | null;
  bodyRegex: string | null;
  json: JsonCondition | null;
}

export interface DegradedRules {
  latencyOver: number | null;
  bodyContains: string | null;
  json: JsonCondition | null;
  certExpiresWithin: number | null;
}

export interface Target {
  id: string;
  name: string;
  service: string;
  site: string;
  interval: number;
  /** croner pattern with seconds; replaces `interval` for scheduling when set. */
  schedule: string | null;
  timeout: number;
  failureThreshold: number;
  successThreshold: number;
  degradedThreshold: number;
  dependsOn: string[];
  probe: ProbeSpec;
  expect: Expectations;
  degraded: DegradedRules;
}

export interface GlobalSettings {
  interval: number;
  timeout: number;
  failureThreshold: number;
  successThreshold: number;
  degradedThreshold: number;
  instance: string;
  maxInFlight: number;
  /** Canaries among this shard's targets (all of them when not sharded). */
  canaries: string[];
  /** This daemon's shard; null watches every target. */
  shard: Shard | null;
  /** High-availability group: transitions are written under it by its elected leader. */
  haGroup: string | null;
}

export interface ServerSettings {
  listen: string;
  bearerToken: string | null;
  bearerTokenFile: string | null;
}

export interface StorageSettings {
  path: string | null;
  url: string | null;
  heartbeat: number;
  /** Transitions kept while the ledger cannot be written (the engine's queue bound). */
  maxPending: number;
}

export interface AlertmanagerSettings {
  url: string;
  resend: number;
  labels: Record<string, string>;
}

export interface MaintenanceWindow {
  name: string;
  targets: string[];
  services: string[];
  sites: string[];
  cron: string;
  timezone: string | null;
  duration: number;
}

export interface Config {
  /** The file it was read from, for messages. */
  file: string;
  global: GlobalSettings;
  server: ServerSettings;
  storage: StorageSettings;
  alertmanager: AlertmanagerSettings | null;
  maintenance: MaintenanceWindow[];
  /** This shard's targets (every target when not sharded). */
  targets: Target[];
  /** Targets in the file after `each` expansion, before the shard filter. */
  targetsInFile: number;
}
