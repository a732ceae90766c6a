/**
 * Reads one HTTP response — from a Node `ClientRequest` (HTTP/1.1, llhttp parses it) or an
 * HTTP/2 stream — times processing and transfer, reads at most max_body bytes, then settles so
 * that the caller frees the connection. A body cut short of its Content-Length is a `protocol`
 * failure, as in Go (blackbox_exporter's "unexpected EOF").
 */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { ClientHttp2Stream, IncomingHttpStatusHeader } from "node:http2";
import type { Socket } from "node:net";
import { ProbeFailure } from "./failure.js";
import type { ProbeContext } from "./run.js";

export interface ReadResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes kept: at most max_body, and none when no rule reads the body. */
  body: Uint8Array;
  /** More body followed the max_body bytes read. */
  truncated: boolean;
}

export interface ReadLimits {
  maxBody: number;
  /** Keep the bytes read (some rule reads the body) or only count them. */
  keepBody: boolean;
  /** Settle at the headers without reading the body: a redirect that will be followed. */
  stopAtHeaders(status: number, headers: IncomingHttpHeaders): boolean;
}

const EMPTY = new Uint8Array(0);
/** As Go's client (blackbox_exporter): more 1xx responses than this before the final one fail. */
export const MAX_INFORMATIONAL_RESPONSES = 5;

/** The body as the reader takes it: an HTTP/1.1 response or an HTTP/2 stream. */
interface BodySource {
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * One per exchange. Settles `done` once: with the response (read far enough) or with the
 * failure; events after that (the caller destroying the socket) are ignored.
 */
export class ResponseReader {
  readonly done: Promise<ReadResponse>;
  #resolve!: (response: ReadResponse) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  /** Whether the whole response has arrived (a later error is then not the body's). */
  #complete: (() => boolean) | null = null;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #contentLength: number | null = null;
  readonly #chunks: Buffer[] = [];
  #read = 0;
  #informational = 0;
  #requestSentAt: number;
  #firstByteAt: number | null = null;
  #transferStart = 0;

  constructor(
    private readonly limits: ReadLimits,
    private readonly context: ProbeContext,
  ) {
    this.#requestSentAt = context.clock.monotonic();
    this.done = new Promise<ReadResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /**
   * Read the response to `request`, sent on `socket` from now on. The socket's first byte
   * ends `processing`, as Go's trace has it (headers may trickle in long after).
   */
  read(request: ClientRequest, socket: Socket): void {
    this.#requestSentAt = this.context.clock.monotonic();
    socket.once("data", () => {
      this.#firstByteAt ??= this.context.clock.monotonic();
    });
    request.on("information", () => this.#onInformational());
    request.on("response", (response: IncomingMessage) => {
      this.context.trace.httpVersion = Number(response.httpVersion) || null;
      this.#onResponse(response.statusCode ?? 0, response.headers, response, () => {
        return response.complete;
      });
    });
    request.on("error", (error: Error) => this.#onRequestError(error));
  }

  /**
   * Read the response of an HTTP/2 `stream`, its request sent from now on. Its headers end
   * `processing` (the session's own frames come first on the wire). A stream closed before
   * its headers (reset by the server, or its session gone) fails as a `reset`.
   */
  readHttp2(stream: ClientHttp2Stream): void {
    this.#requestSentAt = this.context.clock.monotonic();
    let ended = false;
    stream.on("headers", () => this.#onInformational());
    stream.on("response", (headers: IncomingHttpHeaders & IncomingHttpStatusHeader) => {
      this.#firstByteAt = this.context.clock.monotonic();
      this.context.trace.httpVersion = 2;
      const status = Number(headers[":status"] ?? 0);
      this.#onResponse(status, headers, stream, () => ended);
    });
    stream.on("end", () => {
      ended = true;
    });
    stream.on("error", (error: Error) =>
      this.#onRequestError(
        errorCode(error) === "ERR_HTTP2_STREAM_ERROR"
          ? streamClosed(stream.rstCode)
          : http2Failure(error),
      ),
    );
    stream.on("close", () => {
      if (this.#complete === null) this.#fail(streamClosed(stream.rstCode));
    });
  }

  // 1xx (100 Continue, 103 Early Hints) precede the response, as Go's client skips them; a
  // server sending them for ever would keep the probe parsing until its timeout
  #onInformational(): void {
    this.#informational += 1;
    if (this.#informational > MAX_INFORMATIONAL_RESPONSES) {
      this.#fail(
        new ProbeFailure(
          "protocol",
          `too many 1xx informational responses (more than ${MAX_INFORMATIONAL_RESPONSES})`,
        ),
      );
    }
  }

  #onResponse(
    status: number,
    headers: IncomingHttpHeaders,
    body: BodySource,
    complete: () => boolean,
  ): void {
    // stays attached: the caller destroys the socket under an unfinished response
    body.on("error", (error: Error) => this.#fail(this.#bodyFailure(error)));
    if (this.#settled) return;
    this.#complete = complete;
    const now = this.context.clock.monotonic();
    const firstByteAt = Math.min(this.#firstByteAt ?? now, now);
    this.context.trace.phases.processing += Math.max(0, firstByteAt - this.#requestSentAt);
    this.#transferStart = firstByteAt;
    this.#status = status;
    this.#headers = headers;
    this.#contentLength = parseContentLength(headers["content-length"]);
    this.context.trace.status = status;
    this.context.trace.bytesRead = 0;
    this.context.deadline.phase = "reading body";
    if (this.limits.stopAtHeaders(status, headers) || this.#contentLength === 0) {
      this.#finish(false);
      return;
    }
    body.on("data", (chunk: Buffer) => this.#onData(chunk));
    body.on("end", () => this.#finish(false));
  }

  #onData(chunk: Buffer): void {
    if (this.#settled) return;
    const room = this.limits.maxBody - this.#read;
    if (chunk.length > room) {
      this.#keep(chunk.subarray(0, room));
      this.#finish(true);
      return;
    }
    this.#keep(chunk);
    // the whole body by its Content-Length, as Go reads it: bytes past it are not the body
    if (this.#contentLength !== null && this.#read >= this.#contentLength) this.#finish(false);
  }

  #onRequestError(error: Error): void {
    const complete = this.#complete;
    if (complete === null) {
      this.#fail(requestFailure(error));
      return;
    }
    // after a complete response (e.g. bytes past a `Connection: close` one), its own end decides
    if (!complete()) this.#fail(this.#bodyFailure(error));
  }

  #keep(bytes: Buffer): void {
    this.#read += bytes.length;
    this.context.trace.bytesRead = this.#read;
    if (this.limits.keepBody && bytes.length > 0) this.#chunks.push(bytes);
  }

  #finish(truncated: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#addTransfer();
    const body = this.#chunks.length > 0 ? Buffer.concat(this.#chunks) : EMPTY;
    this.#resolve({ status: this.#status, headers: this.#headers, body, truncated });
  }

  #fail(failure: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#status !== 0) this.#addTransfer();
    this.#reject(failure);
  }

  #addTransfer(): void {
    this.context.trace.phases.transfer += this.context.clock.monotonic() - this.#transferStart;
  }

  #bodyFailure(error: Error): unknown {
    const expected = this.#contentLength;
    if (expected !== null && this.#read < expected) {
      return new ProbeFailure(
        "protocol",
        `body shorter than its Content-Length: ${this.#read} of ${expected} bytes`,
      );
    }
    // a reset from the peer stays a reset; Node's own "aborted" and parser errors mean the
    // body ended where its framing says it cannot
    if (errorCode(error) === "ECONNRESET" && error.message !== "aborted") return error;
    return new ProbeFailure(
      "protocol",
      `body cut off after ${this.#read} bytes (${error.message})`,
    );
  }
}

/** Node's "socket hang up": the server closed without a byte of response (Go's EOF). */
function requestFailure(error: Error): unknown {
  if (errorCode(error) === "ECONNRESET" && error.message === "socket hang up") {
    return new ProbeFailure("reset", "connection closed before a response (other side closed)");
  }
  return error;
}

/**
 * An HTTP/2 stream's or session's error: a peer that speaks no HTTP/2 (an HTTP/1.1 server met
 * with prior knowledge answers text, nghttp2 reads it as a bad frame) is a `protocol` failure;
 * a GOAWAY, a `reset`; anything else (a socket error) as it is.
 */
export function http2Failure(error: Error): Error {
  const code = errorCode(error);
  if (code === "ERR_HTTP2_ERROR" || code === "ERR_HTTP2_SESSION_ERROR") {
    return new ProbeFailure(
      "protocol",
      `HTTP/2 session error: ${error.message} (does the server speak HTTP/2?)`,
    );
  }
  if (code === "ERR_HTTP2_GOAWAY_SESSION") {
    return new ProbeFailure("reset", "HTTP/2 session ended by the server (GOAWAY)");
  }
  return error;
}

/** An HTTP/2 stream closed before its response: reset by the server, or its session ended. */
function streamClosed(rstCode: number | undefined): ProbeFailure {
  const code = rstCode === undefined || rstCode === 0 ? "" : ` (${h2ErrorName(rstCode)})`;
  return new ProbeFailure("reset", `HTTP/2 stream closed before a response${code}`);
}

// RFC 9113 section 7, as Go names them in its stream errors
const H2_ERRORS = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];

export function h2ErrorName(code: number): string {
  return H2_ERRORS[code] ?? `error code ${code}`;
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "";
}

function parseContentLength(value: string | undefined): number | null {
  if (typeof value !== "string" || !/^\d+$/.test(value)) return null;
  return Number(value);
}
