/**
 * Reads one HTTP response from a Node `ClientRequest` (llhttp parses it): times processing and
 * transfer, reads at most max_body bytes, then settles so that the caller frees the connection.
 * A body cut short of its Content-Length is a `protocol` failure, as in Go (blackbox_exporter's
 * "unexpected EOF").
 */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from "node:http";
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

/**
 * One per exchange. Settles `done` once: with the response (read far enough) or with the
 * failure; events after that (the caller destroying the socket) are ignored.
 */
export class ResponseReader {
  readonly done: Promise<ReadResponse>;
  #resolve!: (response: ReadResponse) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #response: IncomingMessage | null = null;
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
    request.on("response", (response: IncomingMessage) => this.#onResponse(response));
    request.on("error", (error: Error) => this.#onRequestError(error));
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

  #onResponse(response: IncomingMessage): void {
    // stays attached: the caller destroys the socket under an unfinished response
    response.on("error", (error: Error) => this.#fail(this.#bodyFailure(error)));
    if (this.#settled) return;
    this.#response = response;
    const status = response.statusCode ?? 0;
    const headers = response.headers;
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
    response.on("data", (chunk: Buffer) => this.#onData(chunk));
    response.on("end", () => this.#finish(false));
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
    const response = this.#response;
    if (response === null) {
      this.#fail(requestFailure(error));
      return;
    }
    // after a complete response (e.g. bytes past a `Connection: close` one), its own end decides
    if (!response.complete) this.#fail(this.#bodyFailure(error));
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

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "";
}

function parseContentLength(value: string | undefined): number | null {
  if (typeof value !== "string" || !/^\d+$/.test(value)) return null;
  return Number(value);
}
