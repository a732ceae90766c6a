import type { ConfigErrorCode } from "./errors.js";

/** A key path into the config: `["targets", 3, "http", "url"]`. */
export type ConfigPath = readonly (string | number)[];

/**
 * An issue found by path, before it is given a line and column. `at: "key"` points at the
 * key itself (unknown keys); otherwise at the value, or at the nearest enclosing node present.
 */
export interface PathIssue {
  code: ConfigErrorCode;
  path: ConfigPath;
  at: "value" | "key";
  message: string;
}

export function pathIssue(
  code: ConfigErrorCode,
  path: ConfigPath,
  message: string,
  at: "value" | "key" = "value",
): PathIssue {
  return { code, path, at, message };
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `targets[3].http.url`; keys that are not plain names are quoted: `labels["a.b"]`. */
export function formatPath(path: ConfigPath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (!PLAIN_KEY.test(segment)) text += `[${JSON.stringify(segment)}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text;
}

/** How a value is shown in a message: strings quoted, collections named. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "a map";
  return String(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
