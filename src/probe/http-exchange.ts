/**
 * One HTTP request and its response on one fresh connection. The connection is opened by
 * connection.ts (so DNS, connect and TLS are ours to time and to bound), then handed to Node's
 * own HTTP/1.1 client (llhttp), which uses it once and never dials; it is destroyed at the end.
 * Lighter than an undici Client per probe: no dispatcher, no pool state, no connector.
 */
import { type ClientRequest, request as sendRequest } from "node:http";
import type { Socket } from "node:net";
import { type Endpoint, openConnection } from "./connection.js";
import { type ReadLimits, type ReadResponse, ResponseReader } from "./response-reader.js";
import type { ProbeContext } from "./run.js";

/** Read-only once built: the first request of a spec is shared by all its probes. */
export interface HttpRequest {
  url: URL;
  method: string;
  /** Sent as given; a `Host` header here replaces the one made from the URL. */
  headers: Record<string, string>;
  body: string | null;
}

/** HTTP/1.1 over `endpoint` (its ALPN offers http/1.1 alone over TLS: h2 is not spoken here). */
export async function exchangeHttp1(
  request: HttpRequest,
  endpoint: Endpoint,
  limits: ReadLimits,
  context: ProbeContext,
): Promise<ReadResponse> {
  const socket = await openConnection(endpoint, context);
  context.deadline.phase = "waiting for headers";
  const reader = new ResponseReader(limits, context);
  try {
    const outgoing = send(request, socket);
    reader.read(outgoing, socket);
    outgoing.end(request.body ?? undefined);
    return await context.deadline.race(reader.done);
  } finally {
    // a later hop opens its own connection: this one is done, free it now
    socket.destroy();
  }
}

/**
 * The request, on `socket` and no other: without an agent Node neither pools nor dials, and
 * sends `Connection: close`. Invalid header names or values throw here (ERR_INVALID_*).
 */
function send(request: HttpRequest, socket: Socket): ClientRequest {
  const { url } = request;
  return sendRequest({
    createConnection: () => socket,
    method: request.method,
    path: `${url.pathname}${url.search}`,
    headers: wireHeaders(request),
    setHost: false,
  });
}

/** The headers as sent, per request: the first request of a spec is shared by its probes. */
const wireHeadersOf = new WeakMap<HttpRequest, Record<string, string>>();

function wireHeaders(request: HttpRequest): Record<string, string> {
  let headers = wireHeadersOf.get(request);
  if (headers === undefined) {
    const { url } = request;
    headers = hasHost(request.headers) ? request.headers : { Host: url.host, ...request.headers };
    wireHeadersOf.set(request, headers);
  }
  return headers;
}

function hasHost(headers: Record<string, string>): boolean {
  for (const name in headers) if (name.toLowerCase() === "host") return true;
  return false;
}
