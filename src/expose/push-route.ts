import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Target } from "../config/types.js";
import type { PushReceipt } from "../engine/push-watch.js";
import { TARGET_ID_PATTERN } from "../fields/values.js";
import type { PushProbeSpec, PushStatus } from "../probe/push.js";
import type { Clock } from "../time/clock.js";
import { isParamError, parsePushParams } from "./push-params.js";
import { formatTime } from "./query.js";
import { TokenBuckets } from "./token-bucket.js";

/**
 * `POST /api/v1/push/<id>` (docs/http-api.md#push): a push target reports in with its own token
 * — not the admin bearer token — compared in constant time, rate-limited per target, and
 * answered once the push counts and the ledger has it.
 */

export const PUSH_PATH = "/api/v1/push/";

export const PUSH_LIMITS = {
  /** A body beyond this answers 413. */
  maxBodyBytes: 8 * 1024,
  /** Each target's bucket: this many pushes at once, refilled at `perSecond`. */
  burst: 10,
  perSecond: 1,
} as const;

/** Why a push was refused: the `reason` of pantau_push_rejections_total. */
export const PUSH_REJECTIONS = [
  "method",
  "unknown_target",
  "unauthorized",
  "rate_limited",
  "too_large",
  "bad_request",
  "unavailable",
  "server_busy",
] as const;
export type PushRejection = (typeof PUSH_REJECTIONS)[number];

export interface PushAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Close the connection after answering: a body that was not read must not be parsed as a request. */
  close?: boolean;
}

export interface PushSources {
  clock: Clock;
  /** The configured target of that id (any kind), or undefined. */
  target(id: string): Target | undefined;
  received(targetId: string, status: PushStatus, message: string): Promise<PushReceipt>;
  /** A refused push, for metrics and the debug log; never with its token. */
  rejected(reason: PushRejection, targetId: string | null): void;
}

export interface PushRoute {
  (req: IncomingMessage, path: string, search: URLSearchParams): Promise<PushAnswer>;
  /**
   * A push on an overflow connection (every connection busy answering): told to retry without
   * being read, and counted like every refused push.
   */
  busy(path: string): PushAnswer;
}

export function pushRoute(sources: PushSources): PushRoute {
  const buckets = new TokenBuckets(PUSH_LIMITS.burst, PUSH_LIMITS.perSecond);
  const digests = new WeakMap<PushProbeSpec, Buffer>();
  const tokenDigest = (spec: PushProbeSpec): Buffer => {
    let digest = digests.get(spec);
    if (digest === undefined) {
      digest = sha256(spec.token);
      digests.set(spec, digest);
    }
    return digest;
  };
  const refuse = (reason: PushRejection, id: string | null, answer: PushAnswer): PushAnswer => {
    sources.rejected(reason, id);
    return answer;
  };
  const busy = (path: string): PushAnswer => {
    const id = path.slice(PUSH_PATH.length);
    const known = TARGET_ID_PATTERN.test(id) && sources.target(id)?.probe.kind === "push";
    return refuse("server_busy", known ? id : null, {
      ...unavailable("server busy: every connection is in use"),
      close: true,
    });
  };
  const route = async (
    req: IncomingMessage,
    path: string,
    search: URLSearchParams,
  ): Promise<PushAnswer> => {
    if (req.method !== "POST") {
      const answer = { status: 405, body: { error: "method not allowed; use POST" } };
      return refuse("method", null, { ...answer, headers: { Allow: "POST" }, close: true });
    }
    const id = path.slice(PUSH_PATH.length);
    if (!TARGET_ID_PATTERN.test(id)) {
      return refuse("unknown_target", null, notFound({ error: `not found: ${path}` }));
    }
    const target = sources.target(id);
    if (target?.probe.kind !== "push") {
      return refuse("unknown_target", null, notFound({ error: `no push target "${id}"` }));
    }
    if (!authorized(req, tokenDigest(target.probe))) {
      return refuse("unauthorized", id, {
        status: 401,
        body: { error: `unauthorized: missing or wrong push token for "${id}"` },
        headers: { "WWW-Authenticate": 'Bearer realm="pantau push"' },
        close: true,
      });
    }
    // after the token: a stranger cannot spend a target's pushes and make it miss a deadline
    const waitMs = buckets.take(id, sources.clock.monotonic());
    if (waitMs > 0) return refuse("rate_limited", id, tooMany(id, waitMs));
    const body = await readBody(req, PUSH_LIMITS.maxBodyBytes);
    if (body === null) return refuse("too_large", id, tooLarge());
    const params = parsePushParams(search, req.headers["content-type"] ?? null, body);
    if (isParamError(params)) {
      return refuse("bad_request", id, {
        status: params.httpStatus,
        body: { error: params.error },
      });
    }
    const receipt = await sources.received(id, params.status, params.message);
    return answerOf(id, params.status, receipt, sources);
  };
  return Object.assign(route, { busy });
}

function answerOf(
  id: string,
  status: PushStatus,
  receipt: PushReceipt,
  sources: PushSources,
): PushAnswer {
  if (receipt.kind === "not-watched") {
    sources.rejected("unavailable", id);
    return unavailable(`"${id}" is not watched now (pantau is starting, stopping or reloading)`);
  }
  if (!receipt.recorded) {
    sources.rejected("unavailable", id);
    return unavailable(
      "the push counts, but the ledger could not record it (it would not survive a restart)",
    );
  }
  return {
    status: 200,
    body: {
      target: id,
      status,
      received_at: formatTime(receipt.at),
      deadline: formatTime(receipt.deadline),
    },
  };
}

const notFound = (body: { error: string }): PushAnswer => ({ status: 404, body, close: true });

const unavailable = (error: string): PushAnswer => ({
  status: 503,
  body: { error: `${error}; retry` },
  headers: { "Retry-After": "1" },
});

function tooMany(id: string, waitMs: number): PushAnswer {
  const { burst, perSecond } = PUSH_LIMITS;
  return {
    status: 429,
    body: {
      error: `too many pushes for "${id}": at most ${burst} at once, then ${perSecond} a second`,
    },
    headers: { "Retry-After": String(Math.max(1, Math.ceil(waitMs / 1000))) },
    close: true,
  };
}

function tooLarge(): PushAnswer {
  const error = `body too large: at most ${PUSH_LIMITS.maxBodyBytes} bytes`;
  return { status: 413, body: { error }, close: true };
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Constant-time: both sides hashed to the same length before comparing. */
function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  return match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), expected);
}

/** The body as text, or null when it is larger than `max` bytes (declared or sent). */
async function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > max) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > max) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
