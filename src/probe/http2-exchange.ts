/**
 * One HTTP/2 request and its response on one fresh connection: opened by connection.ts (DNS,
 * connect and TLS timed and bounded as for HTTP/1.1), then handed to Node's own HTTP/2 client
 * (nghttp2) as the session's only connection. Over TLS the server must choose h2 by ALPN;
 * over cleartext (`version: 2c`) the client speaks h2 at once (prior knowledge). The session
 * and its socket are destroyed at the end, or at once by the deadline.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect as connectHttp2,
  constants,
  type OutgoingHttpHeaders,
} from "node:http2";
import type { TLSSocket } from "node:tls";
import type { Endpoint } from "./connection.js";
import { openConnection } from "./connection.js";
import { ProbeFailure } from "./failure.js";
import type { HttpRequest } from "./http-exchange.js";
import {
  h2ErrorName,
  http2Failure,
  type ReadLimits,
  type ReadResponse,
  ResponseReader,
} from "./response-reader.js";
import type { ProbeContext } from "./run.js";

/** Offered by ALPN: h2, and http/1.1 so that a server without h2 says so rather than failing. */
const ALPN = ["h2", "http/1.1"];

export async function exchangeHttp2(
  request: HttpRequest,
  endpoint: Endpoint,
  limits: ReadLimits,
  context: ProbeContext,
): Promise<ReadResponse> {
  const secure = endpoint.tls !== null;
  const socket = await openConnection({ ...endpoint, alpn: secure ? ALPN : [] }, context);
  if (secure) requireH2(socket as TLSSocket, context);
  const { deadline } = context;
  deadline.phase = "waiting for headers";
  // no push, and no session-wide limits beyond Node's: one request, then the session is gone
  const session = deadline.adopt(
    connectHttp2(request.url.origin, {
      createConnection: () => socket,
      settings: { enablePush: false },
    }),
  );
  // stays attached for the session's life: a late error must never become an uncaught one
  session.on("error", ignore);
  const reader = new ResponseReader(limits, context);
  try {
    const stream = openStream(session, request);
    reader.readHttp2(stream);
    session.once("error", (error: Error) => stream.destroy(http2Failure(error)));
    // a server going away leaves our stream unanswered unless it is below the last one it
    // will handle; it may keep the connection open meanwhile: fail now, not at the timeout
    session.once("goaway", (code: number, lastStreamId: number) => {
      if (stream.id === undefined || stream.id > lastStreamId) stream.destroy(goneAway(code));
    });
    if (request.body !== null) stream.end(request.body);
    return await deadline.race(reader.done);
  } finally {
    // a later hop opens its own connection: this one is done, free it now
    session.destroy();
    socket.destroy();
  }
}

/** Blackbox's `valid_http_versions`: an HTTP/2 target whose server picks HTTP/1.1 fails. */
function requireH2(socket: TLSSocket, context: ProbeContext): void {
  const chosen = socket.alpnProtocol;
  if (chosen === "h2") return;
  if (chosen === "http/1.1") context.trace.httpVersion = 1.1;
  throw new ProbeFailure(
    "protocol",
    `the server does not speak HTTP/2 over TLS (ALPN chose ${chosen || "nothing"}, not h2)`,
  );
}

function openStream(session: ClientHttp2Session, request: HttpRequest): ClientHttp2Stream {
  return session.request(h2Headers(request), { endStream: request.body === null });
}

/**
 * HTTP/2 wants lower-case names, the request line in pseudo-headers, and none of HTTP/1.1's
 * connection headers (Node refuses them): a configured `Host` becomes `:authority`.
 */
const h2HeadersOf = new WeakMap<HttpRequest, OutgoingHttpHeaders>();

function h2Headers(request: HttpRequest): OutgoingHttpHeaders {
  let headers = h2HeadersOf.get(request);
  if (headers !== undefined) return headers;
  const { url } = request;
  headers = {
    [constants.HTTP2_HEADER_METHOD]: request.method,
    [constants.HTTP2_HEADER_SCHEME]: url.protocol.slice(0, -1),
    [constants.HTTP2_HEADER_AUTHORITY]: url.host,
    [constants.HTTP2_HEADER_PATH]: `${url.pathname}${url.search}`,
  };
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === "host") headers[constants.HTTP2_HEADER_AUTHORITY] = value;
    else if (!CONNECTION_HEADERS.has(lower)) headers[lower] = value;
  }
  h2HeadersOf.set(request, headers);
  return headers;
}

const CONNECTION_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

function goneAway(code: number): ProbeFailure {
  const why = code === 0 ? "" : ` (${h2ErrorName(code)})`;
  return new ProbeFailure(
    "reset",
    `HTTP/2 session ended by the server (GOAWAY) before the response${why}`,
  );
}

function ignore(): void {}
