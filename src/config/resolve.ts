import { resolveNameServers } from "../fields/connection-fields.js";
import { DEFAULTS } from "../fields/defaults.js";
import { parseDuration, parseStatus } from "../fields/units.js";
import { PROBER_KINDS } from "../probe/registry.js";
import type { WrittenConfig, WrittenJsonCondition, WrittenTarget } from "./schema.js";
import { inShard, type Shard } from "./shard.js";
import type {
  AlertmanagerSettings,
  Config,
  DegradedRules,
  Expectations,
  GlobalSettings,
  JsonCondition,
  MaintenanceWindow,
  ProbeSpec,
  QuorumSettings,
  ServerSettings,
  StatusRange,
  StorageSettings,
  Target,
} from "./types.js";

/**
 * The written config (validated, units parsed) → the resolved model: camelCase, every default
 * applied, each target carrying its own interval, timeout and thresholds.
 */
export function resolveConfig(
  written: WrittenConfig,
  file: string,
  hostname: string,
  shardOverride: Shard | null = null,
): Config {
  const global = resolveGlobal(written.global ?? {}, hostname, shardOverride);
  const all = written.targets.map((target) => resolveTarget(target, global));
  // after expansion and validation over the whole file: depends_on may name another shard's target
  const shard = global.shard;
  const targets = shard === null ? all : all.filter((target) => inShard(target.id, shard));
  const local = new Set(targets.map((target) => target.id));
  return {
    file,
    global: { ...global, canaries: global.canaries.filter((id) => local.has(id)) },
    server: resolveServer(written.server ?? {}),
    storage: resolveStorage(written.storage ?? {}),
    alertmanager: resolveAlertmanager(written.alertmanager),
    maintenance: (written.maintenance ?? []).map(resolveMaintenance),
    quorum: resolveQuorum(written.quorum, written.storage?.heartbeat),
    targets,
    targetsInFile: all.length,
  };
}

function resolveGlobal(
  written: NonNullable<WrittenConfig["global"]>,
  hostname: string,
  shardOverride: Shard | null,
): GlobalSettings {
  return {
    interval: written.interval ?? defaultMs(DEFAULTS.interval),
    timeout: written.timeout ?? defaultMs(DEFAULTS.timeout),
    failureThreshold: written.failure_threshold ?? DEFAULTS.failureThreshold,
    successThreshold: written.success_threshold ?? DEFAULTS.successThreshold,
    degradedThreshold: written.degraded_threshold ?? DEFAULTS.degradedThreshold,
    instance: written.instance ?? hostname,
    maxInFlight: written.max_in_flight ?? DEFAULTS.maxInFlight,
    canaries: written.canaries ?? [],
    shard: shardOverride ?? written.shard ?? null,
    haGroup: written.ha_group || null,
    resolver: resolveNameServers(written.resolver),
  };
}

function resolveServer(written: NonNullable<WrittenConfig["server"]>): ServerSettings {
  return {
    listen: written.listen ?? DEFAULTS.listen,
    // `${PANTAU_TOKEN:-}` writes an empty token: that means no token, not an empty one.
    bearerToken: written.bearer_token || null,
    bearerTokenFile: written.bearer_token_file || null,
  };
}

function resolveStorage(written: NonNullable<WrittenConfig["storage"]>): StorageSettings {
  const url = written.url || null;
  return {
    path: written.path || (url === null ? DEFAULTS.storagePath : null),
    url,
    heartbeat: written.heartbeat ?? defaultMs(DEFAULTS.heartbeat),
    maxPending: written.max_pending ?? DEFAULTS.maxPending,
  };
}

function resolveAlertmanager(written: WrittenConfig["alertmanager"]): AlertmanagerSettings | null {
  if (written === null || written === undefined) return null;
  return {
    url: written.url,
    resend: written.resend ?? defaultMs(DEFAULTS.alertmanagerResend),
    labels: written.labels ?? {},
  };
}

function resolveQuorum(
  written: WrittenConfig["quorum"],
  heartbeat: number | undefined,
): QuorumSettings | null {
  if (written === null || written === undefined) return null;
  return {
    group: written.group,
    minDown: written.min_down,
    deadAfter: written.dead_after ?? 3 * (heartbeat ?? defaultMs(DEFAULTS.heartbeat)),
  };
}

function resolveMaintenance(
  written: NonNullable<WrittenConfig["maintenance"]>[number],
): MaintenanceWindow {
  return {
    name: written.name,
    targets: written.targets ?? [],
    services: written.services ?? [],
    sites: written.sites ?? [],
    cron: written.cron,
    timezone: written.timezone ?? null,
    duration: written.duration,
  };
}

function resolveTarget(written: WrittenTarget, global: GlobalSettings): Target {
  return {
    id: written.id,
    name: written.name ?? written.id,
    service: written.service ?? "",
    site: written.site ?? "",
    // With a schedule the interval is not used for scheduling; it keeps the global value.
    interval: written.interval ?? global.interval,
    schedule: written.schedule ?? null,
    timeout: written.timeout ?? global.timeout,
    failureThreshold: written.failure_threshold ?? global.failureThreshold,
    successThreshold: written.success_threshold ?? global.successThreshold,
    degradedThreshold: written.degraded_threshold ?? global.degradedThreshold,
    dependsOn: written.depends_on ?? [],
    probe: resolveProbe(written),
    expect: resolveExpect(written.expect),
    degraded: resolveDegraded(written.degraded),
    resolver: global.resolver,
  };
}

function resolveProbe(written: WrittenTarget): ProbeSpec {
  for (const kind of PROBER_KINDS) {
    const block = written[kind.key];
    if (block !== undefined) return kind.resolve(block);
  }
  throw new Error(`bug: target "${written.id}" reached resolve without a prober block`);
}

function resolveExpect(written: WrittenTarget["expect"]): Expectations {
  return {
    status: written?.status ?? DEFAULTS.status.map(defaultStatus),
    bodyContains: written?.body_contains ?? null,
    bodyRegex: written?.body_regex ?? null,
    json: resolveJson(written?.json),
  };
}

function resolveDegraded(written: WrittenTarget["degraded"]): DegradedRules {
  return {
    latencyOver: written?.latency_over ?? null,
    bodyContains: written?.body_contains ?? null,
    json: resolveJson(written?.json),
    certExpiresWithin: written?.cert_expires_within ?? null,
  };
}

function resolveJson(written: WrittenJsonCondition): JsonCondition | null {
  return written ? { path: written.path, equals: written.equals } : null;
}

function defaultMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`bug: default "${text}" is not a duration`);
  return ms;
}

function defaultStatus(text: string): StatusRange {
  const range = parseStatus(text);
  if (range === null) throw new Error(`bug: default "${text}" is not a status`);
  return range;
}
