import type { IpFamily, TlsSettings } from "../fields/connection-fields.js";
import type {
  DegradedRules,
  Expectations,
  JsonCondition,
  StatusRange,
} from "../fields/verdict-rules.js";
import type { MaintenanceWindow } from "../health/maintenance.js";
import type { MinDown } from "../health/quorum.js";
import type { ProbeSpec } from "../probe/registry.js";
import type { Shard } from "./shard.js";

// defined beside what reads them (a prober block with its kind, in src/probe/registry.ts);
// re-exported so that the resolved model stays one import
export type {
  DegradedRules,
  Expectations,
  IpFamily,
  JsonCondition,
  MaintenanceWindow,
  MinDown,
  ProbeSpec,
  StatusRange,
  TlsSettings,
};

/**
 * The resolved configuration: defaults applied, `each` expanded, `${VAR}` substituted,
 * durations and sizes parsed. All durations are milliseconds, all sizes bytes.
 */

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
  /** Name servers pantau asks itself (`global.resolver`); null: the system's resolver. */
  resolver: string[] | null;
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
  /** `resolver`: name servers for target names; null for the system's resolver. */
  resolver: string[] | null;
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

/** This daemon as a vantage of a quorum group (docs/quorum.md). */
export interface QuorumSettings {
  group: string;
  minDown: MinDown;
  /** A vantage without a heartbeat this long stops voting (ms). */
  deadAfter: number;
}

export interface Config {
  /** The file it was read from, for messages. */
  file: string;
  global: GlobalSettings;
  server: ServerSettings;
  storage: StorageSettings;
  alertmanager: AlertmanagerSettings | null;
  maintenance: MaintenanceWindow[];
  quorum: QuorumSettings | null;
  /** This shard's targets (every target when not sharded). */
  targets: Target[];
  /** Targets in the file after `each` expansion, before the shard filter. */
  targetsInFile: number;
}
