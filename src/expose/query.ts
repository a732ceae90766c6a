import { parseDuration } from "../fields/units.js";
import { QUORUM_GROUP_PATTERN, quorumChain } from "../health/quorum.js";
import { formatTime } from "../text/time.js";

/**
 * Query parameters shared by the HTTP API (docs/http-api.md) and the CLI (docs/cli.md), pure: strings in,
 * numbers or a QueryError out. Every message starts with the parameter's name, so the API can
 * answer 400 with it as is and the CLI can prefix `--` to name the flag.
 */

export interface QueryError {
  code: "QUERY_INVALID";
  /** The parameter at fault: `since`, `until`, `limit`, `target`, … */
  param: string;
  message: string;
}

/** Parameters by name; undefined = not given. */
export type QueryParams = Readonly<Record<string, string | undefined>>;

/** [since, until) in epoch ms. */
export interface TimeRange {
  since: number;
  until: number;
}

export interface TargetFilters {
  /** A quorum group's chain (`quorum=GROUP`): its verdicts instead of this daemon's. */
  instance?: string;
  targetId?: string;
  service?: string;
  site?: string;
}

export const MAX_LIMIT = 10_000;
/** A range with no `since` reaches this far back from `until`. */
export const DEFAULT_RANGE_MS = 24 * 3_600_000;
export const MAX_NAME_LENGTH = 128;

const TARGET_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
// full-date "T" full-time (RFC 3339 §5.6; a space for the "T" as its note allows); the offset
// is required: a time without one means a different instant on every machine
const RFC3339_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const LOCAL_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

export function queryError(param: string, problem: string): QueryError {
  return { code: "QUERY_INVALID", param, message: `${param}: ${problem}` };
}

export function isQueryError(value: unknown): value is QueryError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { code?: unknown }).code === "QUERY_INVALID"
  );
}

// one definition for parsing and output alike; report/ sits below expose/ in the import order
export { formatTime };

/**
 * A point in time as epoch ms: RFC 3339 with a required offset (`Z`, `+07:00`) and any number
 * of fraction digits (truncated to the millisecond), `now`, or `-` and a Prometheus duration
 * relative to `now` (`-24h`, `-30m`, `-7d`, `-1h30m`).
 */
export function parseTime(value: string, now: number, param = "time"): number | QueryError {
  const quoted = JSON.stringify(value);
  let time: number | null | QueryError;
  if (value === "now") time = now;
  else if (value.startsWith("-")) time = parseRelative(value.slice(1), now);
  else time = parseRfc3339(value, param, quoted);
  if (isQueryError(time)) return time;
  if (time === null) {
    return queryError(param, `${quoted} is not an RFC 3339 time or a relative duration like -24h`);
  }
  if (!Number.isSafeInteger(time) || time < 0) {
    return queryError(param, `${quoted} is before 1970-01-01T00:00:00Z`);
  }
  return time;
}

function parseRelative(duration: string, now: number): number | null {
  const ms = parseDuration(duration);
  return ms === null ? null : now - ms;
}

type Tuple8 = [number, number, number, number, number, number, number, number];

function parseRfc3339(value: string, param: string, quoted: string): number | null | QueryError {
  const match = RFC3339_PATTERN.exec(value);
  if (match === null) {
    if (!LOCAL_TIME_PATTERN.test(value)) return null;
    return queryError(param, `${quoted} has no UTC offset: add Z or one like +07:00`);
  }
  const field = (index: number): number => Number(match[index] ?? "0");
  const [y, mo, d, h, mi, s, oh, om] = [1, 2, 3, 4, 5, 6, 10, 11].map(field) as Tuple8;
  // Date.UTC reads years below 100 as 19xx; such times are refused anyway
  if (y < 1970) return queryError(param, `${quoted} is before 1970-01-01T00:00:00Z`);
  if (!isRealDateTime(y, mo, d, h, mi, s) || oh > 23 || om > 59) {
    return queryError(param, `${quoted} is not a real date and time`);
  }
  const ms = Number((match[7] ?? "").padEnd(3, "0").slice(0, 3));
  const offsetMs =
    match[8] !== undefined ? 0 : (match[9] === "-" ? -1 : 1) * (oh * 60 + om) * 60_000;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMs;
}

function isRealDateTime(y: number, mo: number, d: number, h: number, mi: number, s: number) {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** A whole number from 1 to MAX_LIMIT. */
export function parseLimit(value: string, param = "limit"): number | QueryError {
  const limit = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (limit >= 1 && limit <= MAX_LIMIT) return limit;
  return queryError(param, `${JSON.stringify(value)} is not a whole number from 1 to ${MAX_LIMIT}`);
}

/** Exactly `true` or `false`. */
export function parseBool(value: string, param: string): boolean | QueryError {
  if (value === "true") return true;
  if (value === "false") return false;
  return queryError(param, `${JSON.stringify(value)} is not true or false`);
}

/**
 * `since` and `until`: `until` defaults to now, `since` to `until` minus 24 hours; `since`
 * must be before `until`. A future `until` is kept: readers clamp what they compute to now.
 */
export function parseTimeRange(params: QueryParams, now: number): TimeRange | QueryError {
  const since = params.since === undefined ? null : parseTime(params.since, now, "since");
  if (isQueryError(since)) return since;
  const until = params.until === undefined ? now : parseTime(params.until, now, "until");
  if (isQueryError(until)) return until;
  const start = since ?? until - DEFAULT_RANGE_MS;
  if (start >= until) {
    return queryError("since", `${formatTime(start)} is not before until (${formatTime(until)})`);
  }
  return { since: start, until };
}

/**
 * `target` (a target id), `service` and `site` (1 to 128 characters), and `quorum` (a quorum
 * group, whose verdicts are read instead); each optional.
 */
export function parseFilters(params: QueryParams): TargetFilters | QueryError {
  const filters: TargetFilters = {};
  if (params.target !== undefined) {
    if (!TARGET_ID_PATTERN.test(params.target)) {
      const quoted = JSON.stringify(params.target);
      return queryError("target", `${quoted} is not a target id ([a-z0-9][a-z0-9._-]*)`);
    }
    filters.targetId = params.target;
  }
  if (params.quorum !== undefined) {
    if (!QUORUM_GROUP_PATTERN.test(params.quorum)) {
      const quoted = JSON.stringify(params.quorum);
      return queryError(
        "quorum",
        `${quoted} is not a quorum group (letters, digits, '.', '_', '-')`,
      );
    }
    filters.instance = quorumChain(params.quorum);
  }
  for (const param of ["service", "site"] as const) {
    const value = params[param];
    if (value === undefined) continue;
    if (value.length === 0 || value.length > MAX_NAME_LENGTH) {
      return queryError(param, `must be 1 to ${MAX_NAME_LENGTH} characters long`);
    }
    filters[param] = value;
  }
  return filters;
}

/** URL search parameters by name; a parameter given twice is an error, not a silent pick. */
export function paramsFromSearch(search: URLSearchParams): QueryParams | QueryError {
  const params: Record<string, string> = {};
  for (const [name, value] of search) {
    if (Object.hasOwn(params, name)) return queryError(name, "is given more than once");
    params[name] = value;
  }
  return params;
}

/** The first parameter not in `known`, as an error; null when all are known. */
export function unknownParam(params: QueryParams, known: readonly string[]): QueryError | null {
  const unknown = Object.keys(params).find((name) => !known.includes(name));
  if (unknown === undefined) return null;
  return queryError(unknown, `unknown parameter (expected one of ${known.join(", ")})`);
}
