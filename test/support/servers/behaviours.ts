/**
 * What a test server does with a request or a connection. HTTP handlers behave (slowly, at
 * length, by redirecting); raw socket handlers misbehave the ways real services do.
 * Every timer stops when the client goes away, so nothing outlives a test.
 */
import type {
  IncomingMessage,
  OutgoingHttpHeaders,
  RequestListener,
  ServerResponse,
} from "node:http";
import type { Socket } from "node:net";

/** Answer with `status`, `body` and `headers`; Content-Length is set. */
export function respond(
  status: number,
  body: string | Buffer = "",
  headers: OutgoingHttpHeaders = {},
): RequestListener {
  return (_request, response) => {
    response.writeHead(status, { "content-length": Buffer.byteLength(body), ...headers });
    response.end(body);
  };
}

export function respondJson(value: unknown, status = 200): RequestListener {
  return respond(status, JSON.stringify(value), { "content-type": "application/json" });
}

export function redirect(location: string, status = 302): RequestListener {
  return respond(status, "", { location });
}

/** Dispatch on the request path (query string ignored); 404 for any other path. */
export function routes(table: Record<string, RequestListener>): RequestListener {
  return (request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const handler = table[path] ?? respond(404, "not found");
    handler(request, response);
  };
}

/** Send nothing for `delayMs`, then answer with `then`. */
export function delayHeaders(
  delayMs: number,
  then: RequestListener = respond(200, "ok"),
): RequestListener {
  return (request, response) => {
    const timer = setTimeout(() => then(request, response), delayMs);
    response.on("close", () => clearTimeout(timer));
  };
}

/** Never answer. */
export const hang: RequestListener = () => undefined;

/** Headers at once, then one body byte every `intervalMs`, forever. */
export function trickleBody(intervalMs: number): RequestListener {
  return (_request, response) => {
    response.writeHead(200, { "content-type": "text/plain" });
    response.flushHeaders();
    const timer = setInterval(() => response.write("."), intervalMs);
    response.on("close", () => clearInterval(timer));
  };
}

/** What streamBody has sent so far, for asserting the client stopped reading. */
export interface StreamProgress {
  written: number;
}

/** A body of `totalBytes` (with its Content-Length), written only as fast as the client reads. */
export function streamBody(
  totalBytes: number,
  progress: StreamProgress = { written: 0 },
): RequestListener {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, { "content-length": totalBytes, "content-type": "text/plain" });
    const pump = (): void => {
      while (progress.written < totalBytes && !response.destroyed) {
        const size = Math.min(chunk.length, totalBytes - progress.written);
        progress.written += size;
        if (!response.write(chunk.subarray(0, size))) {
          response.once("drain", pump);
          return;
        }
      }
      if (progress.written >= totalBytes) response.end();
    };
    pump();
  };
}

/** Raw: reset the connection (RST) as soon as it is accepted. */
export function resetOnAccept(socket: Socket): void {
  socket.resetAndDestroy();
}

/**
 * Raw: accept and keep the connection open without a word (a TCP port that is up, a TLS port
 * that never answers the ClientHello). Reads and discards, so the client's close is seen.
 */
export function acceptAndHold(socket: Socket): void {
  socket.resume();
}

/** Raw: read the request, then close without answering. */
export const closeWithoutResponse = afterRequest((socket) => socket.end());

/** Raw: answer the request with something that is not HTTP (another service on the port). */
export const garbageResponse = afterRequest((socket) => socket.end("SSH-2.0-OpenSSH_9.6\r\n"));

/** Raw: promise 100 bytes of body, send 10, close. */
export const shortBody = afterRequest((socket) =>
  socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"),
);

/** Raw: a chunked body cut off before its last chunk. */
export const truncatedChunkedBody = afterRequest((socket) =>
  socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
);

/** Raw: a 103 Early Hints before the real 200 response. */
export const earlyHintsFirst = afterRequest((socket) =>
  socket.end(
    "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
  ),
);

/** Raw: a body without Content-Length or chunking, ended by closing the connection. */
export const closeDelimitedBody = afterRequest((socket) =>
  socket.end(
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nclose-delimited body",
  ),
);

/** Run `act` once the first bytes of the request have arrived. */
export function afterRequest(act: (socket: Socket) => void): (socket: Socket) => void {
  return (socket) => {
    socket.once("data", () => act(socket));
  };
}
