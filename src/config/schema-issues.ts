import type * as z from "zod";
import type { ConfigErrorCode } from "../fields/errors.js";
import { describeValue, isRecord, type PathIssue, pathIssue } from "../fields/path-issue.js";
import { didYouMean } from "../text/suggest.js";
import { keysAt } from "./schema-keys.js";

/**
 * Turns zod's issues into pantau's: short, lower-case, naming the expected form, one issue per
 * unknown key (at the key, with the nearest key `schema` allows there), and a missing key
 * reported at the map that lacks it.
 */
export function schemaIssues(error: z.ZodError | undefined, schema?: z.core.$ZodType): PathIssue[] {
  return error === undefined ? [] : error.issues.flatMap((issue) => toPathIssues(issue, schema));
}

function toPathIssues(issue: z.core.$ZodIssue, schema?: z.core.$ZodType): PathIssue[] {
  const path = issue.path.filter((segment) => typeof segment !== "symbol") as (string | number)[];
  if (issue.code === "unrecognized_keys") {
    const known = schema === undefined ? [] : keysAt(schema, path);
    return issue.keys.map((key) =>
      pathIssue(
        "CONFIG_UNKNOWN_KEY",
        [...path, key],
        `unknown key "${key}"${didYouMean(key, known)}`,
        "key",
      ),
    );
  }
  if (issue.code === "custom") {
    const code = (issue.params?.configCode ?? "CONFIG_INVALID") as ConfigErrorCode;
    return [pathIssue(code, path, issue.message)];
  }
  if (issue.code === "invalid_key") {
    // A bad map key (a label name): what is wrong with it, pointed at the key itself.
    return issue.issues
      .flatMap((inner) => toPathIssues(inner, schema))
      .map((inner) => ({ ...inner, path, at: "key" as const }));
  }
  if ("input" in issue && issue.input === undefined && path.length > 0) {
    const key = path[path.length - 1];
    return [
      pathIssue("CONFIG_INVALID", path.slice(0, -1), `missing required key "${String(key)}"`),
    ];
  }
  return [pathIssue("CONFIG_INVALID", path, messageFor(issue, isSecretPath(path)))];
}

/**
 * Keys whose values are secrets (tokens, passwords, header values such as Authorization): an
 * error about them says what type was found, never the value — a token typed as a number
 * would otherwise be printed by `check`, the reload log and `POST /-/reload`.
 */
const SECRET_KEYS = new Set(["bearer_token", "token", "password", "secret"]);

function isSecretPath(path: readonly (string | number)[]): boolean {
  const last = path.at(-1);
  return (typeof last === "string" && SECRET_KEYS.has(last)) || path.includes("headers");
}

/** What a value is, without the value. */
function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "boolean") return "true or false";
  return typeof value === "number" ? "a number" : "a string";
}

function messageFor(issue: z.core.$ZodIssue, secret: boolean): string {
  const got = (value: unknown) =>
    secret ? `${typeOf(value)} (the value is not shown)` : describeValue(value);
  switch (issue.code) {
    case "invalid_type":
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${got(issue.input)}${secret ? "" : placeholderHint(issue.input)}`;
    case "invalid_value": {
      const hint =
        typeof issue.input === "string" && !secret
          ? didYouMean(issue.input, issue.values.map(String))
          : "";
      return `expected one of ${issue.values.map(String).join(", ")}, got ${got(issue.input)}${hint}`;
    }
    case "too_small":
      return tooSmall(issue);
    case "too_big":
      return issue.origin === "array"
        ? `must have at most ${issue.maximum} items`
        : `must be at most ${issue.maximum}`;
    default:
      return issue.message.toLowerCase();
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a map",
  record: "a map",
  null: "null",
};

function tooSmall(issue: z.core.$ZodIssueTooSmall): string {
  if (issue.origin === "string") return "must not be empty";
  if (issue.origin === "array")
    return `must have at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`;
  return `must be at least ${issue.minimum}`;
}

/** `site: {site}` is a YAML map, not a placeholder: say how to write what was meant. */
function placeholderHint(input: unknown): string {
  if (!isRecord(input)) return "";
  const [key, ...more] = Object.keys(input);
  return key !== undefined && more.length === 0 && input[key] === null
    ? ` (quote it: "{${key}}")`
    : "";
}
