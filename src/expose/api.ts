import type { MaintenanceWindow, Target } from "../config/types.js";
import type { Engine } from "../engine/engine.js";
import type { PushView } from "../engine/push-watch.js";
import {
  activeMaintenance,
  maintenanceIntervals,
  nextMaintenance,
  windowApplies,
} from "../health/maintenance.js";
import { computeReport } from "../ledger/figures/availability.js";
import { listOutages } from "../ledger/figures/outage-facts.js";
import { outageJson } from "../ledger/figures/outage-json.js";
import type { Ledger, StoredTransition } from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import type { Clock } from "../time/clock.js";
import {
  formatTime,
  isQueryError,
  paramsFromSearch,
  parseBool,
  parseFilters,
  parseLimit,
  parseTimeRange,
  type QueryError,
  type QueryParams,
  unknownParam,
} from "./query.js";
import type { ApiResponse, ApiRoute } from "./server.js";

/** What the API reads: committed states from the engine, history from the ledger. */
export interface ApiSources {
  clock: Clock;
  ledger: Ledger;
  engine: Engine;
  instance(): string;
  targets(): readonly Target[];
  maintenance(): readonly MaintenanceWindow[];
}

const FILTERS = ["target", "service", "site"] as const;
/** History answers read this daemon's chain, or a quorum group's (`quorum=GROUP`). */
const HISTORY_FILTERS = [...FILTERS, "quorum"] as const;
const DEFAULT_TRANSITIONS_LIMIT = 1000;

const badRequest = (error: QueryError): ApiResponse => ({
  status: 400,
  body: { error: error.message },
});

/** Parses and checks the parameters, then answers; every bad parameter is a 400 naming it. */
function route(
  known: readonly string[],
  answer: (params: QueryParams, now: number) => Promise<ApiResponse>,
  clock: Clock,
): ApiRoute {
  return async (search) => {
    const params = paramsFromSearch(search);
    if (isQueryError(params)) return badRequest(params);
    const unknown = unknownParam(params, known);
    if (unknown) return badRequest(unknown);
    return answer(params, clock.now());
  };
}

export function apiRoutes(sources: ApiSources): Record<string, ApiRoute> {
  const { clock } = sources;
  return {
    targets: route(FILTERS, async (params) => targetsAnswer(sources, params), clock),
    transitions: route(
      [...HISTORY_FILTERS, "since", "until", "limit"],
      (params, now) => transitionsAnswer(sources, params, now),
      clock,
    ),
    outages: route(
      [...HISTORY_FILTERS, "since", "until", "open"],
      (params, now) => outagesAnswer(sources, params, now),
      clock,
    ),
    maintenance: route([], async (_params, now) => maintenanceAnswer(sources, now), clock),
    report: route(
      [...HISTORY_FILTERS, "since", "until"],
      (params, now) => reportAnswer(sources, params, now),
      clock,
    ),
  };
}

function targetsAnswer(sources: ApiSources, params: QueryParams): ApiResponse {
  const filters = parseFilters(params);
  if (isQueryError(filters)) return badRequest(filters);
  const rows = sources
    .targets()
    .filter(
      (t) =>
        (filters.targetId === undefined || t.id === filters.targetId) &&
        (filters.service === undefined || t.service === filters.service) &&
        (filters.site === undefined || t.site === filters.site),
    )
    .map((target) => {
      const committed = sources.engine.committedState(target.id);
      return {
        id: target.id,
        name: target.name,
        service: target.service,
        site: target.site,
        state: committed?.state ?? "unknown",
        since: committed?.since == null ? null : formatTime(committed.since),
        maintenance: sources.engine.inMaintenance(target.id),
        blocked_by: committed?.blockedBy ?? null,
        // down, and its page waits for these upstreams' verdicts (one may be the cause)
        attribution_pending: sources.engine.pageWaitingOn(target.id),
        last_probe: lastProbeJson(sources.engine.lastResult(target.id)),
        push: pushJson(sources.engine.push.view(target.id)),
      };
    });
  return { status: 200, body: { targets: rows } };
}

/** Each window with its occurrence in progress (and the targets it covers) and the next ones. */
function maintenanceAnswer(sources: ApiSources, now: number): ApiResponse {
  const targets = sources.targets();
  const windows = sources.maintenance().map((window) => {
    const covered = targets.filter((t) => windowApplies(window, t));
    const first = covered[0];
    const active = first ? activeMaintenance([window], first, now) : null;
    return {
      name: window.name,
      cron: window.cron,
      timezone: window.timezone,
      duration_seconds: window.duration / 1000,
      targets: covered.map((t) => t.id),
      active: active ? { start: formatTime(active.start), end: formatTime(active.end) } : null,
      next: nextMaintenance([window], null, now, 3).map((o) => ({
        start: formatTime(o.start),
        end: formatTime(o.end),
      })),
    };
  });
  return { status: 200, body: { windows } };
}

/** A push target's last push and next deadline; null for targets of other kinds. */
function pushJson(view: PushView | null) {
  if (!view) return null;
  const last = view.lastPush;
  return {
    last_push_at: last === null ? null : formatTime(last.at),
    last_push_status: last?.status ?? null,
    last_push_message: last?.message ?? null,
    deadline: formatTime(view.deadline),
  };
}

function lastProbeJson(result: ProbeResult | null) {
  if (!result) return null;
  return {
    result: result.result,
    reason: result.reason,
    detail: result.detail,
    started_at: formatTime(result.startedAt),
    status: result.status,
    duration_seconds: result.durationMs / 1000,
    phases: Object.fromEntries(
      Object.entries(result.phases).map(([phase, ms]) => [phase, ms / 1000]),
    ),
    cert_expires_at: result.certExpiresAt === null ? null : formatTime(result.certExpiresAt),
    bytes_read: result.bytesRead,
    redirects: result.redirects,
  };
}

/** target/service/site and since/until: what every history query is scoped by. */
function parseScope(params: QueryParams, now: number) {
  const filters = parseFilters(params);
  if (isQueryError(filters)) return filters;
  const range = parseTimeRange(params, now);
  if (isQueryError(range)) return range;
  return { ...filters, ...range };
}

async function transitionsAnswer(
  sources: ApiSources,
  params: QueryParams,
  now: number,
): Promise<ApiResponse> {
  const scope = parseScope(params, now);
  if (isQueryError(scope)) return badRequest(scope);
  const limit = params.limit === undefined ? DEFAULT_TRANSITIONS_LIMIT : parseLimit(params.limit);
  if (isQueryError(limit)) return badRequest(limit);
  const rows = await sources.ledger.transitions({
    ...scope,
    instance: scope.instance ?? sources.instance(),
    limit,
  });
  return { status: 200, body: { transitions: rows.map(transitionJson) } };
}

export function transitionJson(t: StoredTransition) {
  return {
    id: t.id,
    instance: t.instance,
    target: t.targetId,
    service: t.service,
    site: t.site,
    from: t.from,
    to: t.to,
    at: formatTime(t.at),
    detected_at: formatTime(t.detectedAt),
    // the change happened after this probe and no later than `at`
    previous_probe_at: t.previousProbeAt === null ? null : formatTime(t.previousProbeAt),
    reason: t.reason,
    detail: t.detail,
    blocked_by: t.blockedBy,
    maintenance: t.maintenance,
  };
}

async function outagesAnswer(
  sources: ApiSources,
  params: QueryParams,
  now: number,
): Promise<ApiResponse> {
  const scope = parseScope(params, now);
  if (isQueryError(scope)) return badRequest(scope);
  const open = params.open === undefined ? undefined : parseBool(params.open, "open");
  if (isQueryError(open)) return badRequest(open);
  const outages = await listOutages(
    sources.ledger,
    {
      ...scope,
      instance: scope.instance ?? sources.instance(),
      ...(open === undefined ? {} : { open }),
    },
    now,
  );
  return { status: 200, body: { outages: outages.map(outageJson) } };
}

async function reportAnswer(
  sources: ApiSources,
  params: QueryParams,
  now: number,
): Promise<ApiResponse> {
  const scope = parseScope(params, now);
  if (isQueryError(scope)) return badRequest(scope);
  const windows = sources.maintenance();
  const report = await computeReport(
    sources.ledger,
    { ...scope, instance: scope.instance ?? sources.instance() },
    now,
    ({ targetId: id, service, site }, range) =>
      maintenanceIntervals(windows, { id, service, site }, range.since, range.until),
  );
  return {
    status: 200,
    body: {
      window: { since: formatTime(report.window.since), until: formatTime(report.window.until) },
      targets: report.targets.map(snakeCase),
      services: report.services.map(snakeCase),
      sites: report.sites.map(snakeCase),
      total: snakeCase(report.total),
    },
  };
}

/** `mttrSeconds` → `mttr_seconds`, `targetId` → `target`: the API speaks snake_case. */
function snakeCase(row: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[snakeKey(key)] = value;
  return out;
}

/** Each key's snake_case, made once: a report's 10,000 rows share their twenty keys. */
const snakeKeys = new Map<string, string>();

function snakeKey(key: string): string {
  let snake = snakeKeys.get(key);
  if (snake === undefined) {
    snake = key === "targetId" ? "target" : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeKeys.set(key, snake);
  }
  return snake;
}
