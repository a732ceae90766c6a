import type { PushStatus } from "../probe/push.js";

/**
 * What a push says: `status` (ok | fail, default ok) and `message` (default ""), from the
 * query string and from a form or JSON body — each given once, in one or the other. Pure.
 */

export const MAX_MESSAGE_CHARS = 1024;

const KNOWN = ["status", "message"] as const;
type Param = (typeof KNOWN)[number];

export interface PushParams {
  status: PushStatus;
  message: string;
}

/** A push refused for what it said: 400, or 415 for a body of another type. */
export interface PushParamError {
  httpStatus: 400 | 415;
  error: string;
}

export function isParamError(value: PushParams | PushParamError): value is PushParamError {
  return "error" in value;
}

/** `contentType`: the request's header (null when none); `body`: the body as text. */
export function parsePushParams(
  search: URLSearchParams,
  contentType: string | null,
  body: string,
): PushParams | PushParamError {
  const given = new Map<Param, string>();
  const fromQuery = collect(search, given);
  if (fromQuery) return fromQuery;
  const fromBody = body === "" ? null : collectBody(contentType, body, given);
  if (fromBody) return fromBody;
  const status = given.get("status") ?? "ok";
  if (status !== "ok" && status !== "fail") {
    return bad(`status: must be ok or fail, not ${shown(status)}`);
  }
  const message = given.get("message") ?? "";
  if (message.length > MAX_MESSAGE_CHARS) {
    return bad(`message: at most ${MAX_MESSAGE_CHARS} characters, not ${message.length}`);
  }
  return { status, message };
}

function collectBody(
  contentType: string | null,
  body: string,
  given: Map<Param, string>,
): PushParamError | null {
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/x-www-form-urlencoded") {
    return collect(new URLSearchParams(body), given);
  }
  if (type === "application/json") return collectJson(body, given);
  const named = type === "" ? "no content type" : `content type ${shown(type)}`;
  return {
    httpStatus: 415,
    error: `a body with ${named}: send application/x-www-form-urlencoded or application/json`,
  };
}

function collect(
  pairs: Iterable<[string, string]>,
  given: Map<Param, string>,
): PushParamError | null {
  for (const [key, value] of pairs) {
    const problem = add(key, value, given);
    if (problem) return problem;
  }
  return null;
}

function collectJson(body: string, given: Map<Param, string>): PushParamError | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return bad("body: not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return bad('body: expected a JSON object like {"status": "fail", "message": "…"}');
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (isKnown(key) && typeof value !== "string") return bad(`${key}: expected a string`);
    const problem = add(key, String(value), given);
    if (problem) return problem;
  }
  return null;
}

function add(key: string, value: string, given: Map<Param, string>): PushParamError | null {
  // the name only, never the value: a token put in the wrong place must not come back
  if (!isKnown(key)) {
    return bad(`unknown parameter ${shown(key)} (expected one of ${KNOWN.join(", ")})`);
  }
  if (given.has(key)) return bad(`${key}: is given more than once`);
  given.set(key, value);
  return null;
}

function isKnown(key: string): key is Param {
  return (KNOWN as readonly string[]).includes(key);
}

/** A value quoted for a message, cut short: what was sent, not all of it. */
function shown(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function bad(error: string): PushParamError {
  return { httpStatus: 400, error };
}
