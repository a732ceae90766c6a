import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, constants as zlib } from "node:zlib";
import type { Logger } from "pino";
import type { ListenAddress } from "../fields/listen.js";
import { ConnectionGuard, type GuardCounts } from "./connection-guard.js";
import type { ExpositionFormat } from "./exposition.js";
import { HTTP_LIMITS, type HttpLimits, MONITORING_PATHS } from "./http-limits.js";
import { indexPage } from "./index-page.js";
import { acceptsGzip, negotiateFormat } from "./negotiate.js";
import { PUSH_PATH, type PushAnswer, type PushRoute } from "./push-route.js";

/** A JSON answer of the API: status and body. */
export interface ApiResponse {
  status: number;
  body: unknown;
}

export type ApiRoute = (params: URLSearchParams) => Promise<ApiResponse>;

export interface HttpServerContext {
  /**
   * The text in `format`, in chunks, written as they come (a whole render at once blocked the
   * loop); a HEAD request asks for none.
   */
  renderMetrics(format: ExpositionFormat): { contentType: string; chunks: AsyncIterable<string> };
  /** pantau's version, shown on the index page at `/`. */
  version: string;
  /** `role`: an HA member's part (`leader of jkt`), shown in the ready answer. */
  readiness(): { ready: true; role?: string } | { ready: false; reason: string };
  reload(): Promise<ApiResponse>;
  /** GET routes under /api/v1/, by name (`targets`, `outages` …). */
  api: Readonly<Record<string, ApiRoute>>;
  /**
   * When set, required as `Authorization: Bearer …` on all but /-/healthy, /-/ready and the
   * push path (its targets' own tokens guard it).
   */
  bearerToken(): string | null;
  /** `POST /api/v1/push/<id>` (push-route.ts); without it the path is not served. */
  push?: PushRoute;
  logger: Logger;
}

export interface HttpServerHandle {
  address: ListenAddress;
  close(): Promise<void>;
}

const OPEN_PATHS = new Set(["/-/healthy", "/-/ready"]);
/** How often a full server says so in the log. */
const PRESSURE_LOG_EVERY_MS = 60_000;

export async function startHttpServer(
  listen: ListenAddress,
  context: HttpServerContext,
  limits: HttpLimits = HTTP_LIMITS,
): Promise<HttpServerHandle> {
  const guard = new ConnectionGuard(limits, () => performance.now(), pressureLog(context.logger));
  const server: Server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckMs,
    },
    (req, res) => {
      const overflow = guard.begin(req, res);
      const answer = overflow ? handleOverflow(req, res, context) : handle(req, res, context);
      answer.catch((error: unknown) => {
        context.logger.error(
          { event: "http_error", err: error, path: pathOf(req) },
          "request failed",
        );
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
        else res.destroy();
      });
    },
  );
  guard.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A request on an overflow connection (every slot busy answering): the monitoring paths are
 * served, anything else is told to come back; either way the connection closes after.
 */
async function handleOverflow(
  req: IncomingMessage,
  res: ServerResponse,
  context: HttpServerContext,
): Promise<void> {
  res.setHeader("Connection", "close");
  const path = pathOf(req);
  if (MONITORING_PATHS.has(path)) return handle(req, res, context);
  if (context.push && path.startsWith(PUSH_PATH))
    return sendPushAnswer(res, context.push.busy(path));
  res.setHeader("Retry-After", "1");
  sendJson(res, 503, { error: "server busy: every connection is in use; retry" });
}

/** A warning when the server first fills up, then at most once a minute while it stays full. */
function pressureLog(logger: Logger): (counts: Readonly<GuardCounts>, open: number) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (counts, open) => {
    const now = performance.now();
    if (now - last < PRESSURE_LOG_EVERY_MS) return;
    last = now;
    logger.warn(
      { event: "http_connections_full", open, ...counts },
      "HTTP server full: closing idle and slow connections to make room (counts since start)",
    );
  };
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? "/").split("?")[0] ?? "/";
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  context: HttpServerContext,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://pantau.invalid");
  const path = url.pathname;
  if (context.push && path.startsWith(PUSH_PATH)) {
    return sendPushAnswer(res, await context.push(req, path, url.searchParams));
  }
  const token = context.bearerToken();
  if (token && !OPEN_PATHS.has(path) && !authorized(req, digest(token))) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="pantau"');
    return sendJson(res, 401, { error: "unauthorized: missing or wrong bearer token" });
  }
  const method = req.method ?? "GET";
  if (path === "/-/reload") {
    if (method !== "POST" && method !== "PUT") return methodNotAllowed(res, "POST, PUT");
    const answer = await context.reload();
    return sendJson(res, answer.status, answer.body);
  }
  if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
  if (path === "/-/healthy") return sendText(res, 200, "pantau is healthy.\n");
  if (path === "/-/ready") {
    const ready = context.readiness();
    return ready.ready
      ? sendText(res, 200, ready.role ? `pantau is ready: ${ready.role}.\n` : "pantau is ready.\n")
      : sendText(res, 503, `pantau is not ready: ${ready.reason}\n`);
  }
  if (path === "/metrics") return sendMetrics(req, res, context);
  if (path === "/") {
    const page = indexPage(context.version, req.headers.accept);
    return sendBody(res, 200, page.contentType, page.body);
  }
  const route = path.startsWith("/api/v1/")
    ? context.api[path.slice("/api/v1/".length)]
    : undefined;
  if (!route) return sendJson(res, 404, { error: `not found: ${path}` });
  const answer = await route(url.searchParams);
  sendJson(res, answer.status, answer.body);
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Constant-time: both sides are hashed to the same length before comparing. */
function authorized(req: IncomingMessage, token: Buffer): boolean {
  const header = req.headers.authorization ?? "";
  const match = /^Bearer (.+)$/.exec(header);
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), token);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader("Allow", allow);
  sendJson(res, 405, { error: `method not allowed; use ${allow}` });
}

/**
 * In the format the scrape asks for, gzipped when it accepts gzip (Prometheus always does: a
 * scrape of 10,000 targets shrinks from ≈30 MiB to ≈1.5 MiB). The render's chunks stream through
 * the gzip stream as they come; nothing waits for the whole text.
 */
async function sendMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  context: HttpServerContext,
): Promise<void> {
  const format = negotiateFormat(req.headers.accept);
  const gzip = acceptsGzip(req.headers["accept-encoding"]);
  const headers: Record<string, string> = { vary: "Accept, Accept-Encoding" };
  if (gzip) headers["content-encoding"] = "gzip";
  if (req.method === "HEAD") {
    // the type only: nothing is rendered for a body that is never sent
    const { contentType } = context.renderMetrics(format);
    res.writeHead(200, { ...headers, "content-type": contentType }).end();
    return;
  }
  const { contentType, chunks } = context.renderMetrics(format);
  res.writeHead(200, { ...headers, "content-type": contentType });
  if (!gzip) return sendChunks(res, chunks);
  try {
    // level 1: most of level 6's ratio on text this repetitive, at a fraction of its CPU (bench)
    await pipeline(
      Readable.from(chunks, { objectMode: false }),
      createGzip({ level: GZIP_LEVEL }),
      res,
    );
  } catch (error) {
    // the client went away mid-scrape: the pipeline has stopped the render and closed the socket
    if ((error as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") throw error;
  }
}

const GZIP_LEVEL = zlib.Z_BEST_SPEED;

/**
 * Writes each chunk, waiting for the client to drain the last (backpressure); once the client
 * has gone away, stops (which ends the render too).
 */
async function sendChunks(res: ServerResponse, chunks: AsyncIterable<string>): Promise<void> {
  let closed = false;
  let wake: (() => void) | null = null;
  const onDrainOrClose = (): void => {
    wake?.();
    wake = null;
  };
  const onClose = (): void => {
    closed = true;
    onDrainOrClose();
  };
  res.on("drain", onDrainOrClose);
  res.once("close", onClose);
  try {
    for await (const chunk of chunks) {
      if (closed) return;
      if (!res.write(chunk) && !closed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
    res.end();
  } finally {
    res.off("drain", onDrainOrClose);
    res.off("close", onClose);
  }
}

function sendPushAnswer(res: ServerResponse, answer: PushAnswer): void {
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  // an unread body must not be taken for the next request on this connection
  if (answer.close) res.setHeader("Connection", "close");
  sendJson(res, answer.status, answer.body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  sendBody(res, status, "text/plain; charset=utf-8", text);
}

function sendBody(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType }).end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { "content-type": "application/json; charset=utf-8" })
    .end(`${JSON.stringify(body)}\n`);
}
