/**
 * Reads one HTTP response as an undici dispatch handler: times processing and transfer, reads at
 * most max_body bytes, then stops and lets the connection be destroyed. A body cut short of its
 * Content-Length is a `protocol` failure, as in Go (blackbox_exporter's "unexpected EOF").
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
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
/** One shared error: a new one per probe would cost its stack trace for nothing. */
const READ_ENOUGH = new Error("response read as far as the probe needs");

export class ResponseReader implements Dispatcher.DispatchHandler {
  readonly done: Promise<ReadResponse>;
  #resolve!: (response: ReadResponse) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #contentLength: number | null = null;
  readonly #chunks: Buffer[] = [];
  #read = 0;
  #informational = 0;
  #requestSentAt: number;
  #firstByteAt: number | null = null;
  #transferStart = 0;

  /**
   * `onEnd` runs synchronously once the response is read (or read far enough): inside undici's
   * parser callback, before undici closes a `Connection: close` socket itself with a new error
   * whose stack trace Node formats; freeing the connection first spares that on every probe.
   */
  constructor(
    private readonly limits: ReadLimits,
    private readonly context: ProbeContext,
    private readonly onEnd: () => void = () => undefined,
  ) {
    this.#requestSentAt = context.clock.monotonic();
    this.done = new Promise<ReadResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Watch `socket` for the first response byte: the end of `processing`, as Go's trace has it. */
  watchFirstByte(socket: Readable): void {
    socket.once("readable", () => {
      this.#firstByteAt ??= this.context.clock.monotonic();
    });
  }

  onRequestStart(): void {
    this.#requestSentAt = this.context.clock.monotonic();
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
  ): void {
    // 1xx (100 Continue, 103 Early Hints) precede the response, as Go's client skips them; a
    // server sending them for ever would keep the probe parsing until its timeout
    if (status < 200) {
      this.#informational += 1;
      if (this.#informational > MAX_INFORMATIONAL_RESPONSES) {
        controller.abort(
          new ProbeFailure(
            "protocol",
            `too many 1xx informational responses (more than ${MAX_INFORMATIONAL_RESPONSES})`,
          ),
        );
      }
      return;
    }
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
    if (this.limits.stopAtHeaders(status, headers)) this.#stop(controller, false);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    const room = this.limits.maxBody - this.#read;
    if (chunk.length > room) {
      this.#keep(chunk.subarray(0, room));
      this.#stop(controller, true);
      return;
    }
    this.#keep(chunk);
    if (this.#contentLength !== null && this.#read >= this.#contentLength) {
      // The whole body by its Content-Length, as Go reads it: settle and pause the parser, so
      // undici never completes the message itself (for a `Connection: close` response it builds
      // an error, stack trace and all, to close the socket we are freeing anyway).
      this.#finish(false);
      controller.pause();
    }
  }

  onResponseEnd(): void {
    this.#finish(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#status === 0) {
      this.#reject(error);
      return;
    }
    this.#addTransfer();
    this.#reject(this.#bodyFailure(error));
  }

  #keep(bytes: Buffer): void {
    this.#read += bytes.length;
    this.context.trace.bytesRead = this.#read;
    if (this.limits.keepBody && bytes.length > 0) this.#chunks.push(bytes);
  }

  // enough read: settle, then abort, which makes undici destroy the socket
  #stop(controller: Dispatcher.DispatchController, truncated: boolean): void {
    this.#finish(truncated);
    controller.abort(READ_ENOUGH);
  }

  #finish(truncated: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#addTransfer();
    const body = this.#chunks.length > 0 ? Buffer.concat(this.#chunks) : EMPTY;
    this.#resolve({ status: this.#status, headers: this.#headers, body, truncated });
    this.onEnd();
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
    const code = (error as { code?: unknown }).code;
    if (code === "UND_ERR_SOCKET") {
      return new ProbeFailure(
        "protocol",
        `body cut off after ${this.#read} bytes (${error.message})`,
      );
    }
    return error;
  }
}

function parseContentLength(value: string | string[] | undefined): number | null {
  if (typeof value !== "string" || !/^\d+$/.test(value)) return null;
  return Number(value);
}
