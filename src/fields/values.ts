import { Cron } from "croner";
import * as z from "zod";
import type { ConfigErrorCode } from "./errors.js";
import { linearRegexProblem } from "./linear-regex.js";
import { listenAddressProblem, parseListenAddress } from "./listen.js";
import { describeValue } from "./path-issue.js";
import {
  DURATION_HINT,
  DURATION_JSON_PATTERN,
  parseDuration,
  parseSize,
  parseStatus,
  SIZE_HINT,
  SIZE_JSON_PATTERN,
} from "./units.js";
import type { StatusRange } from "./verdict-rules.js";

/**
 * The leaf fields of the config schema: each validates one value and names the expected form.
 * Semantic failures carry their stable code in `params.configCode`.
 */

export interface Problem {
  code: ConfigErrorCode;
  message: string;
}

/** The JSON Schema of fields the validator parses itself (it cannot be derived from a transform). */
export const jsonSchemaShapes = z.registry<Record<string, unknown>>();

function customIssue(problem: Problem, input: unknown): z.core.$ZodRawIssue {
  return { code: "custom", message: problem.message, input, params: { configCode: problem.code } };
}

/** A string with a semantic check that zod cannot express: URL, regex, cron pattern, zone. */
function checkedString(test: (value: string) => Problem | null): z.ZodString {
  return z.string().check((payload) => {
    const problem = test(payload.value);
    if (problem !== null) payload.issues.push(customIssue(problem, payload.value));
  });
}

/** A value parsed from text (durations, sizes, statuses); `shape` is what the JSON Schema shows. */
function parsedField<T>(parse: (input: unknown) => T | Problem, shape: Record<string, unknown>) {
  const field = z.unknown().transform((input, ctx) => {
    if (input === undefined) {
      ctx.issues.push({ code: "invalid_type", expected: "string", input });
      return z.NEVER;
    }
    const parsed = parse(input);
    if (isProblem(parsed)) {
      ctx.issues.push(customIssue(parsed, input));
      return z.NEVER;
    }
    return parsed;
  });
  jsonSchemaShapes.add(field, shape);
  return field;
}

function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

/**
 * The longest delay a Node timer takes (2^31 − 1 ms, just under 24d 20h 31m 24s): a longer one
 * fires after 1 ms, so a key that sets a timer refuses more than this at load and on reload.
 */
export const TIMER_LIMIT_MS = 2 ** 31 - 1;

/** `timer`: the duration sets a timer (an interval, a timeout, a heartbeat), so it is bounded. */
export function duration(options: { timer?: boolean } = {}) {
  return parsedField(
    (input): number | Problem => {
      const ms = typeof input === "string" ? parseDuration(input) : null;
      if (ms === null) {
        return {
          code: "CONFIG_DURATION",
          message: `${describeValue(input)} is not a duration (${DURATION_HINT})`,
        };
      }
      if (ms === 0) return { code: "CONFIG_DURATION", message: "must be longer than 0s" };
      if (options.timer === true && ms > TIMER_LIMIT_MS) {
        return {
          code: "CONFIG_DURATION",
          message: `must be at most 24d (a timer's limit: ${TIMER_LIMIT_MS} ms)`,
        };
      }
      return ms;
    },
    { type: "string", pattern: DURATION_JSON_PATTERN },
  );
}

export function size() {
  return parsedField(
    (input): number | Problem => {
      const bytes =
        typeof input === "string" ? parseSize(input) : typeof input === "number" ? input : null;
      if (bytes === null || !Number.isSafeInteger(bytes)) {
        return {
          code: "CONFIG_SIZE",
          message: `${describeValue(input)} is not a size (${SIZE_HINT})`,
        };
      }
      if (bytes <= 0) return { code: "CONFIG_SIZE", message: "must be larger than 0 bytes" };
      return bytes;
    },
    {
      anyOf: [
        { type: "integer", minimum: 1 },
        { type: "string", pattern: SIZE_JSON_PATTERN },
      ],
    },
  );
}

/**
 * `min_down` of a quorum: a count of vantages (2) or a percentage of the running ones ("50%"),
 * as `{ count }` or `{ percent }` (above 0, at most 100).
 */
export function minDown() {
  return parsedField(
    (input): { count: number } | { percent: number } | Problem => {
      if (typeof input === "number" && Number.isInteger(input) && input >= 1 && input <= 1000) {
        return { count: input };
      }
      const percent = typeof input === "string" ? /^(\d+(?:\.\d+)?)%$/.exec(input.trim()) : null;
      const value = percent ? Number(percent[1]) : Number.NaN;
      if (value > 0 && value <= 100) return { percent: value };
      return {
        code: "CONFIG_INVALID",
        message: `${describeValue(input)} is not a count of vantages (2) or a percentage of the running ones ("50%", above 0 and at most 100)`,
      };
    },
    {
      anyOf: [
        { type: "integer", minimum: 1, maximum: 1000 },
        { type: "string", pattern: "^\\d+(\\.\\d+)?%$" },
      ],
    },
  );
}

/** `200-299` → { min: 200, max: 299 }; `204` and 204 → { min: 204, max: 204 }. */
export function statusRange() {
  return parsedField(
    (input): StatusRange | Problem => {
      const range = parseStatus(input);
      if (range !== null) return range;
      const message = `${describeValue(input)} is not a status (use e.g. 200, 204 or "200-299")`;
      return { code: "CONFIG_INVALID", message };
    },
    {
      anyOf: [
        { type: "integer", minimum: 100, maximum: 599 },
        { type: "string", pattern: "^[1-5]\\d\\d(-[1-5]\\d\\d)?$" },
      ],
    },
  );
}

export const TARGET_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
const PLACEHOLDER_OR = (chars: string) => `(?:[${chars}]|\\{[A-Za-z_][A-Za-z0-9_]*\\})`;

/** Checked after `each` expansion; the JSON Schema also allows the `{name}` placeholders. */
export function targetId() {
  return checkedString((id) =>
    TARGET_ID_PATTERN.test(id)
      ? null
      : { code: "CONFIG_INVALID", message: `"${id}" is not a valid id (use [a-z0-9][a-z0-9._-]*)` },
  ).meta({ pattern: `^${PLACEHOLDER_OR("a-z0-9")}${PLACEHOLDER_OR("a-z0-9._-")}*$` });
}

export function httpUrl() {
  return checkedString((text) => {
    if (!URL.canParse(text)) return { code: "CONFIG_URL", message: "not a valid URL" };
    const { protocol } = new URL(text);
    if (protocol === "http:" || protocol === "https:") return null;
    return {
      code: "CONFIG_URL",
      message: `"${redactedUrl(text)}" is not an http:// or https:// URL`,
    };
  });
}

export function postgresUrl() {
  return checkedString((text) => {
    const protocol = URL.canParse(text) ? new URL(text).protocol : null;
    if (protocol === "postgres:" || protocol === "postgresql:") return null;
    return { code: "CONFIG_URL", message: `"${redactedUrl(text)}" is not a postgres:// URL` };
  });
}

/**
 * Messages name a URL without what may be a secret — its user info (a password, or a token used
 * as the user name) and its query or fragment (`?key=…`): they reach logs, terminals and the API.
 */
export function redactedUrl(url: string): string {
  const cut = url.search(/[?#]/);
  const head = cut === -1 ? url : url.slice(0, cut);
  const tail = cut === -1 ? "" : `${url[cut]}***`;
  return head.replace(/^([^/]*\/\/)[^/]*@/, "$1***@") + tail;
}

/** A pattern pantau can match over an untrusted body in linear time (linear-regex.ts). */
export function regex() {
  return checkedString((source) => {
    try {
      new RegExp(source);
      const problem = linearRegexProblem(source);
      return problem === null ? null : { code: "CONFIG_REGEX", message: problem };
    } catch (error) {
      const reason =
        error instanceof Error ? error.message.replace(/^Invalid regular expression: /, "") : "";
      // V8 writes `/PATTERN/: Unterminated group`: lower-case its words, never the pattern
      const cut = reason.lastIndexOf("/: ") + 1;
      return {
        code: "CONFIG_REGEX",
        message: `not a valid regular expression: ${reason.slice(0, cut)}${reason.slice(cut).toLowerCase()}`,
      };
    }
  });
}

/** A croner pattern (5 fields, or 6 with seconds) that fires at least once. */
export function cronPattern() {
  return checkedString((pattern) => {
    const problem = cronProblem(pattern);
    return problem === null ? null : { code: "CONFIG_SCHEDULE", message: problem };
  });
}

// Any fixed instant will do: the question is whether the pattern ever fires, not when.
const CRON_REFERENCE = new Date(Date.UTC(2024, 0, 1));
// croner 10+ reads a seventh field as the year: pantau's patterns have 5 fields, or 6 with
// seconds, as documented.
const CRON_FIELDS = { mode: "5-or-6-parts" } as const;

/**
 * `compute` once per pattern (the last 1,024 kept): thousands of targets share a few patterns
 * (`each`), and croner takes milliseconds a call in its time-zone conversion, which made a
 * config of 2,000 scheduled targets take seconds to load.
 */
function perPattern<T>(compute: (pattern: string) => T): (pattern: string) => T {
  const known = new Map<string, T>();
  return (pattern) => {
    if (known.has(pattern)) return known.get(pattern) as T;
    const value = compute(pattern);
    if (known.size >= 1024) known.clear();
    known.set(pattern, value);
    return value;
  };
}

const cronProblem = perPattern(findCronProblem);

function findCronProblem(pattern: string): string | null {
  try {
    const cron = new Cron(pattern, { ...CRON_FIELDS, paused: true, timezone: "UTC" });
    if (cron.nextRun(CRON_REFERENCE) === null) return `"${pattern}" never fires`;
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message : "";
    if (/five, six, or seven|5 or 6 parts/.test(reason)) {
      return `"${pattern}" is not a cron pattern (use 5 fields, or 6 with seconds: "*/20 * * * * *")`;
    }
    return `"${pattern}" is not a cron pattern: ${reason.replace(/^CronPattern: /, "").toLowerCase()}`;
  }
}

/** The shortest gap between firings of a valid pattern, in ms, over its next few runs. */
export const shortestCronGap = perPattern(findShortestCronGap);

function findShortestCronGap(pattern: string): number | null {
  try {
    const cron = new Cron(pattern, { ...CRON_FIELDS, paused: true, timezone: "UTC" });
    const runs = cron.nextRuns(8, CRON_REFERENCE);
    const gaps = runs.slice(1).map((run, index) => run.getTime() - (runs[index]?.getTime() ?? 0));
    return gaps.length === 0 ? null : Math.min(...gaps);
  } catch {
    return null;
  }
}

export function timezone() {
  return checkedString((zone) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: zone });
      return null;
    } catch {
      return {
        code: "CONFIG_TIMEZONE",
        message: `"${zone}" is not an IANA time zone (use e.g. Asia/Jakarta, UTC)`,
      };
    }
  });
}

export function listenAddress() {
  return checkedString((text) =>
    parseListenAddress(text)
      ? null
      : { code: "CONFIG_INVALID", message: listenAddressProblem(text) },
  );
}

export function hostName() {
  return checkedString((text) =>
    /^[^\s/:]+$|^[0-9A-Fa-f:.]+$/.test(text)
      ? null
      : { code: "CONFIG_INVALID", message: `"${text}" is not a host name or IP address` },
  );
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Alertmanager label names follow Prometheus': `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function labels() {
  const labelName = checkedString((name) =>
    LABEL_NAME.test(name)
      ? null
      : {
          code: "CONFIG_INVALID",
          message: `"${name}" is not a label name (use [a-zA-Z_][a-zA-Z0-9_]*)`,
        },
  );
  return z.record(labelName, z.string());
}

const SECRET_FORM = /^[\x21-\x7e]{16,256}$/;

/**
 * A secret sent in an `Authorization: Bearer` header (a push token): 16 to 256 printable ASCII
 * characters without spaces. Its messages never show the value, nor whether it was close.
 */
export function secretToken() {
  return parsedField(
    (input): string | Problem =>
      typeof input === "string" && SECRET_FORM.test(input)
        ? input
        : {
            code: "CONFIG_INVALID",
            message:
              "must be 16 to 256 printable ASCII characters without spaces (the value is not shown)",
          },
    // no pattern: a `${NAME}` written in its place is a valid file
    { type: "string" },
  );
}
