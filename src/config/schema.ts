import * as z from "zod";
import { nameServers } from "../fields/connection-fields.js";
import { DEFAULTS } from "../fields/defaults.js";
import {
  cronPattern,
  duration,
  httpUrl,
  labels,
  listenAddress,
  minDown,
  postgresUrl,
  regex,
  statusRange,
  targetId,
  timezone,
} from "../fields/values.js";
import { QUORUM_GROUP_PATTERN } from "../health/quorum.js";
import { proberBlocks } from "../probe/registry.js";

/**
 * The config file as written (snake_case, durations as text): the single source for the
 * validator and for the JSON Schema that editors use. Every object is strict: an unknown key
 * is an error, not a silently ignored typo. Defaults are applied later, by resolve.ts, because
 * a target's defaults come from `global`.
 */

const optionalText = () => z.string().nullable().optional();
const threshold = () => z.int().min(1).max(1_000_000).optional();
const jsonCondition = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .meta({ description: "dotted path into the JSON body: status, checks.0.state" }),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()], {
      error: "expected a string, number, boolean or null",
    }),
  })
  .nullable()
  .optional();

const expectations = z.strictObject({
  status: z
    .array(statusRange())
    .min(1)
    .optional()
    .meta({ default: [...DEFAULTS.status] }),
  body_contains: optionalText(),
  body_regex: regex().nullable().optional().meta({
    description:
      "JavaScript regular expression, matched in linear time: no backreferences, lookahead or counts over 16",
  }),
  json: jsonCondition,
});

const degradedRules = z.strictObject({
  latency_over: duration().nullable().optional(),
  body_contains: optionalText(),
  json: jsonCondition,
  cert_expires_within: duration().nullable().optional(),
});

const eachItems = z
  .array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])))
  .min(1)
  .meta({
    description: "one target per item; {key} is replaced by the item's value in every string",
  });

const target = z.strictObject({
  id: targetId().meta({ description: "unique id: [a-z0-9][a-z0-9._-]* after each expansion" }),
  name: z.string().min(1).optional().meta({ description: "display name; default: the id" }),
  service: z.string().optional().meta({ default: "" }),
  site: z.string().optional().meta({ default: "" }),
  interval: duration({ timer: true }).optional().meta({ description: "default: global.interval" }),
  schedule: cronPattern()
    .optional()
    .meta({ description: "croner pattern with seconds; replaces interval" }),
  timeout: duration({ timer: true })
    .optional()
    .meta({ description: "default: global.timeout; must be < interval" }),
  failure_threshold: threshold(),
  success_threshold: threshold(),
  degraded_threshold: threshold(),
  depends_on: z.array(z.string()).optional().meta({ description: "ids of targets this one needs" }),
  each: eachItems.optional(),
  // http:, tcp:, …: each kind's own block, from its file (src/probe/registry.ts lists them)
  ...proberBlocks(),
  expect: expectations.optional().meta({ description: "all must hold, else the probe failed" }),
  degraded: degradedRules.optional().meta({ description: "any holds: the probe is degraded" }),
});

const globalSettings = z.strictObject({
  interval: duration({ timer: true }).optional().meta({ default: DEFAULTS.interval }),
  timeout: duration({ timer: true }).optional().meta({ default: DEFAULTS.timeout }),
  failure_threshold: threshold().meta({ default: DEFAULTS.failureThreshold }),
  success_threshold: threshold().meta({ default: DEFAULTS.successThreshold }),
  degraded_threshold: threshold().meta({ default: DEFAULTS.degradedThreshold }),
  instance: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "this daemon's name; default: the host name" }),
  max_in_flight: z.int().min(1).optional().meta({ default: DEFAULTS.maxInFlight }),
  canaries: z
    .array(z.string())
    .optional()
    .meta({ description: "ids of reference targets", default: [] }),
  shard: z
    .strictObject({
      index: z.int().min(0).meta({ description: "this daemon's shard, from 0 (like hashmod)" }),
      count: z.int().min(1).max(1_000_000).meta({ description: "how many shards" }),
    })
    .nullable()
    .optional()
    .meta({
      description:
        "watch only the targets whose md5(id) mod count is index (Prometheus hashmod); default: all",
    }),
  resolver: nameServers(),
  ha_group: z.string().min(1).nullable().optional().meta({
    description:
      "high-availability pair: daemons with the same group and shard elect one writer; needs storage.url",
  }),
});

const serverSettings = z.strictObject({
  listen: listenAddress().optional().meta({ default: DEFAULTS.listen }),
  bearer_token: optionalText().meta({
    description: "required on the API when set; empty means none",
  }),
  bearer_token_file: optionalText().meta({ description: "file holding the bearer token" }),
});

const storageSettings = z.strictObject({
  path: optionalText().meta({ description: "SQLite file", default: DEFAULTS.storagePath }),
  url: postgresUrl().nullable().optional().meta({ description: "PostgreSQL URL, instead of path" }),
  heartbeat: duration({ timer: true }).optional().meta({ default: DEFAULTS.heartbeat }),
  max_pending: z.int().min(1).max(1_000_000).optional().meta({
    description:
      "transitions kept, in order, while the ledger cannot be written (applied on reload)",
    default: DEFAULTS.maxPending,
  }),
});

const alertmanagerSettings = z.strictObject({
  url: httpUrl(),
  resend: duration({ timer: true }).optional().meta({ default: DEFAULTS.alertmanagerResend }),
  labels: labels().optional(),
});

const quorumSettings = z.strictObject({
  group: z
    .string()
    .regex(QUORUM_GROUP_PATTERN, { error: "letters, digits, '.', '_' and '-' only" })
    .meta({ description: "the quorum group this daemon is a vantage of; needs storage.url" }),
  min_down: minDown().meta({
    description: "vantages that must see a target down for the group's verdict",
  }),
  dead_after: duration({ timer: true }).optional().meta({
    description:
      "a vantage without a heartbeat this long stops voting; default: 3 × storage.heartbeat",
  }),
});

const maintenanceWindow = z.strictObject({
  name: z.string().min(1),
  targets: z
    .array(z.string().min(1))
    .optional()
    .meta({ description: "globs over target ids: autogate-*" }),
  services: z.array(z.string()).optional(),
  sites: z.array(z.string()).optional(),
  cron: cronPattern().meta({ description: "when the window starts (croner pattern)" }),
  timezone: timezone()
    .nullable()
    .optional()
    .meta({ description: "IANA zone for cron; default: UTC (the same on every host)" }),
  duration: duration(),
});

export const configSchema = z.strictObject({
  global: globalSettings.nullable().optional(),
  server: serverSettings.nullable().optional(),
  storage: storageSettings.nullable().optional(),
  alertmanager: alertmanagerSettings.nullable().optional(),
  maintenance: z.array(maintenanceWindow).nullable().optional(),
  quorum: quorumSettings.nullable().optional(),
  targets: z.array(target),
});

export type WrittenConfig = z.output<typeof configSchema>;
export type WrittenTarget = WrittenConfig["targets"][number];
export type WrittenJsonCondition = z.output<typeof jsonCondition>;
