import { DEFAULTS } from "../fields/defaults.js";
import { type ConfigPath, isRecord, type PathIssue, pathIssue } from "../fields/path-issue.js";
import { formatDuration, parseDuration } from "../fields/units.js";
import { shortestCronGap } from "../fields/values.js";
import { PROBER_KINDS, type RegisteredKind } from "../probe/registry.js";
import { didYouMean } from "../text/suggest.js";

/**
 * Checks that span several keys. They read the data as written (after `each` expansion), not
 * the schema's output, so they still run, and report, when some single value is invalid.
 */
export function validateSettings(config: Record<string, unknown>): PathIssue[] {
  return [
    ...checkGlobalTimeout(config),
    ...checkCanaries(config),
    ...checkNotBoth(config, "server", "bearer_token", "bearer_token_file"),
    ...checkNotBoth(config, "storage", "path", "url"),
    ...checkMaintenanceSelects(config),
    ...checkShard(config),
    ...checkHaGroup(config),
    ...checkQuorum(config),
  ];
}

function checkShard(config: Record<string, unknown>): PathIssue[] {
  const shard = asRecord(asRecord(config.global).shard);
  const { index, count } = shard;
  if (!Number.isInteger(index) || !Number.isInteger(count)) return [];
  if ((index as number) < (count as number) || (count as number) < 1) return [];
  return [
    pathIssue(
      "CONFIG_INVALID",
      ["global", "shard", "index"],
      `${String(index)} must be less than count ${String(count)} (shards are numbered from 0)`,
    ),
  ];
}

function checkHaGroup(config: Record<string, unknown>): PathIssue[] {
  if (isUnset(asRecord(config.global).ha_group)) return [];
  if (!isUnset(asRecord(config.storage).url)) return [];
  return [
    pathIssue(
      "CONFIG_INVALID",
      ["global", "ha_group"],
      "needs storage.url: the pair elects its leader and shares its ledger in PostgreSQL",
    ),
  ];
}

function checkQuorum(config: Record<string, unknown>): PathIssue[] {
  if (isUnset(config.quorum)) return [];
  if (isUnset(asRecord(config.storage).url)) {
    return [
      pathIssue(
        "CONFIG_INVALID",
        ["quorum"],
        "needs storage.url: the vantages of a quorum share their ledger in PostgreSQL",
        "key",
      ),
    ];
  }
  if (isUnset(asRecord(config.global).shard)) return [];
  return [
    pathIssue(
      "CONFIG_INVALID",
      ["global", "shard"],
      "a quorum vantage watches every target: shard the vantages' work with more vantages, not shards",
      "key",
    ),
  ];
}

export function validateTargets(config: Record<string, unknown>, targets: unknown[]): PathIssue[] {
  const global = asRecord(config.global);
  const defaults = {
    interval: durationOf(global.interval) ?? durationOf(DEFAULTS.interval),
    timeout: durationOf(global.timeout) ?? durationOf(DEFAULTS.timeout),
  };
  return targets.flatMap((target, index) => {
    if (!isRecord(target)) return [];
    const path: ConfigPath = ["targets", index];
    return [
      ...checkProber(target, path),
      ...checkSchedule(target, path),
      ...checkTimeout(target, path, defaults),
    ];
  });
}

function checkProber(target: Record<string, unknown>, path: ConfigPath): PathIssue[] {
  const kinds = PROBER_KINDS.filter((kind) => target[kind.key] !== undefined);
  const [kind, second] = kinds;
  if (kind === undefined) {
    return [pathIssue("CONFIG_PROBER", path, `needs one prober block: ${PROBER_KEYS}`)];
  }
  if (second !== undefined) {
    return [
      pathIssue(
        "CONFIG_PROBER",
        [...path, second.key],
        `has both ${kind.key} and ${second.key}; keep exactly one prober block`,
        "key",
      ),
    ];
  }
  return [...kind.check(target, path), ...checkBodyRules(kind, target, path)];
}

/** `http or tcp`, `http, tcp or dns`. */
const PROBER_KEYS = PROBER_KINDS.map((kind) => kind.key)
  .join(", ")
  .replace(/, (?=[^,]*$)/, " or ");

/** `expect` and the body and json rules of `degraded` judge a body: only some kinds read one. */
function checkBodyRules(
  kind: RegisteredKind,
  target: Record<string, unknown>,
  path: ConfigPath,
): PathIssue[] {
  if (kind.readsBody) return [];
  const readers = PROBER_KINDS.filter((each) => each.readsBody).map((each) => each.key);
  const message = `applies to ${readers.join(" and ")} targets only`;
  const issues: PathIssue[] = [];
  if (target.expect !== undefined) {
    issues.push(pathIssue("CONFIG_PROBER", [...path, "expect"], message, "key"));
  }
  for (const key of ["body_contains", "json"]) {
    if (asRecord(target.degraded)[key] === undefined) continue;
    issues.push(pathIssue("CONFIG_PROBER", [...path, "degraded", key], message, "key"));
  }
  return issues;
}

function checkSchedule(target: Record<string, unknown>, path: ConfigPath): PathIssue[] {
  if (target.schedule === undefined || target.interval === undefined) return [];
  return [
    pathIssue(
      "CONFIG_SCHEDULE",
      [...path, "schedule"],
      "set interval or schedule, not both",
      "key",
    ),
  ];
}

interface Timing {
  interval: number | null;
  timeout: number | null;
}

function checkTimeout(
  target: Record<string, unknown>,
  path: ConfigPath,
  defaults: Timing,
): PathIssue[] {
  // A target that sets none of these inherits the global pair, which is checked once, there.
  const owned = ["timeout", "schedule", "interval"].find((key) => target[key] !== undefined);
  const timeout = target.timeout === undefined ? defaults.timeout : durationOf(target.timeout);
  const limit = timeoutLimit(target, defaults);
  if (owned === undefined || timeout === null || limit === null || timeout < limit.ms) return [];
  const message = `timeout ${formatDuration(timeout)} must be less than ${limit.name} ${formatDuration(limit.ms)}`;
  return [pathIssue("CONFIG_TIMEOUT", [...path, owned], message)];
}

/** What a probe's timeout must stay under: its interval, or its schedule's shortest gap. */
function timeoutLimit(
  target: Record<string, unknown>,
  defaults: Timing,
): { name: string; ms: number } | null {
  if (typeof target.schedule === "string" && target.interval === undefined) {
    const gap = shortestCronGap(target.schedule);
    return gap === null ? null : { name: "the schedule's shortest gap", ms: gap };
  }
  const interval = target.interval === undefined ? defaults.interval : durationOf(target.interval);
  return interval === null ? null : { name: "interval", ms: interval };
}

function checkGlobalTimeout(config: Record<string, unknown>): PathIssue[] {
  const global = asRecord(config.global);
  const interval =
    global.interval === undefined ? durationOf(DEFAULTS.interval) : durationOf(global.interval);
  const timeout =
    global.timeout === undefined ? durationOf(DEFAULTS.timeout) : durationOf(global.timeout);
  if (interval === null || timeout === null || timeout < interval) return [];
  const where = global.timeout !== undefined ? "timeout" : "interval";
  return [
    pathIssue(
      "CONFIG_TIMEOUT",
      ["global", where],
      `timeout ${formatDuration(timeout)} must be less than interval ${formatDuration(interval)}`,
    ),
  ];
}

function checkCanaries(config: Record<string, unknown>): PathIssue[] {
  const canaries = asRecord(config.global).canaries;
  if (!Array.isArray(canaries) || !Array.isArray(config.targets)) return [];
  const ids = new Set(
    config.targets
      .map((target: unknown) => asRecord(target).id)
      .filter((id) => typeof id === "string"),
  );
  return canaries.flatMap((canary: unknown, index) =>
    typeof canary !== "string" || ids.has(canary)
      ? []
      : [
          pathIssue(
            "CONFIG_UNKNOWN_CANARY",
            ["global", "canaries", index],
            `unknown target "${canary}"${didYouMean(canary, ids)}`,
          ),
        ],
  );
}

function checkNotBoth(
  config: Record<string, unknown>,
  section: string,
  first: string,
  second: string,
): PathIssue[] {
  const settings = asRecord(config[section]);
  if (isUnset(settings[first]) || isUnset(settings[second])) return [];
  return [
    pathIssue("CONFIG_INVALID", [section, second], `set ${first} or ${second}, not both`, "key"),
  ];
}

function checkMaintenanceSelects(config: Record<string, unknown>): PathIssue[] {
  if (!Array.isArray(config.maintenance)) return [];
  return config.maintenance.flatMap((window: unknown, index) => {
    const selectors = ["targets", "services", "sites"].map((key) => asRecord(window)[key]);
    if (!isRecord(window) || selectors.some((list) => Array.isArray(list) && list.length > 0))
      return [];
    return [
      pathIssue(
        "CONFIG_INVALID",
        ["maintenance", index],
        "a window must select targets, services or sites",
      ),
    ];
  });
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

// 0s is reported by the schema; treating it as unknown here avoids a second issue about it.
function durationOf(value: unknown): number | null {
  const ms = typeof value === "string" ? parseDuration(value) : null;
  return ms === 0 ? null : ms;
}

function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}
