import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { systemTimers, type TimerHandle, type Timers } from "../time/clock.js";
import { type Answer, ENDPOINT_HEADER, healthyAnswer, UNAVAILABLE } from "./answers.js";
import { type Behaviour, UP } from "./behaviour.js";
import type { EndpointKind } from "./plan.js";

export interface SimEndpointOptions {
  id: string;
  kind: EndpointKind;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 or absent: an ephemeral port, kept for the endpoint's life (reopened on it after `refused`). */
  port?: number;
  behaviour?: Behaviour;
  /** For `slow` answers. */
  timers?: Timers;
  /** Told of every request as it arrives, before it is answered (or left hanging). */
  onRequest?: (id: string) => void;
}

/** A port the simulator could not open: the CLI reports it, tests assert it. */
export class SimListenError extends Error {
  constructor(
    readonly address: string,
    readonly code: string,
  ) {
    super(`cannot listen on ${address} (${code})`);
    this.name = "SimListenError";
  }
}

/** A request that has not been answered yet: hanging, or waiting out a `slow` delay. */
interface PendingRequest {
  response: ServerResponse;
  timer: TimerHandle | null;
}

/**
 * One simulated endpoint: an HTTP server on loopback whose behaviour is switched at run time.
 * Every answer closes its connection, so the only sockets alive are requests still pending;
 * `refused` closes the listener itself and a later switch reopens it on the same port.
 */
export class SimEndpoint {
  readonly id: string;
  readonly kind: EndpointKind;
  readonly host: string;
  private currentPort: number;
  private current: Behaviour;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Set<PendingRequest>();
  private readonly timers: Timers;
  private readonly onRequest: ((id: string) => void) | undefined;
  // Switches run one after another: a reopen must not race the close before it.
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(options: SimEndpointOptions) {
    this.id = options.id;
    this.kind = options.kind;
    this.host = options.host ?? "127.0.0.1";
    this.currentPort = options.port ?? 0;
    this.current = options.behaviour ?? UP;
    this.timers = options.timers ?? systemTimers;
    this.onRequest = options.onRequest;
  }

  static async start(options: SimEndpointOptions): Promise<SimEndpoint> {
    const endpoint = new SimEndpoint(options);
    // Even a `refused` endpoint opens once, so its port is known (and reserved) from the start.
    await endpoint.open();
    if (endpoint.current.behaviour === "down" && endpoint.current.mode === "refused") {
      await endpoint.shut();
    }
    return endpoint;
  }

  get port(): number {
    return this.currentPort;
  }

  get behaviour(): Behaviour {
    return this.current;
  }

  /** Whether the listener is open (false while `refused` and after close). */
  get listening(): boolean {
    return this.server !== null;
  }

  url(path = "/"): string {
    return `http://${this.host}:${this.currentPort}${path}`;
  }

  /** Switches behaviour; resolves once the listener is closed or reopened as needed. */
  setBehaviour(next: Behaviour): Promise<void> {
    const run = this.queue.then(() => this.apply(next));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Frees the port and every socket; pending answers are never sent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.shut();
  }

  private async apply(next: Behaviour): Promise<void> {
    if (this.closed) return;
    this.current = next;
    this.releaseHanging();
    const refused = next.behaviour === "down" && next.mode === "refused";
    if (refused && this.server !== null) await this.shut();
    if (!refused && this.server === null) await this.open();
  }

  private open(): Promise<void> {
    const server = createServer((request, response) => this.handle(request, response));
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) => {
        reject(new SimListenError(`${this.host}:${this.currentPort}`, error.code ?? error.message));
      });
      server.listen({ host: this.host, port: this.currentPort, backlog: 4096 }, () => {
        this.currentPort = (server.address() as AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  /** Closes the listener and destroys every connection, as a host that went away would. */
  private shut(): Promise<void> {
    for (const request of this.pending) this.forget(request);
    this.pending.clear();
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /** Requests left hanging are cut when the behaviour changes: their sockets are freed. */
  private releaseHanging(): void {
    for (const request of this.pending) {
      if (request.timer !== null) continue;
      this.pending.delete(request);
      request.response.socket?.destroy();
    }
  }

  private forget(request: PendingRequest): void {
    if (request.timer !== null) this.timers.clearTimeout(request.timer);
    request.response.socket?.destroy();
  }

  private handle(_request: IncomingMessage, response: ServerResponse): void {
    this.onRequest?.(this.id);
    const behaviour = this.current;
    if (behaviour.behaviour === "up") {
      this.send(response, healthyAnswer(this.kind, "auto"));
    } else if (behaviour.behaviour === "degraded") {
      if (behaviour.mode === "manual") this.send(response, healthyAnswer(this.kind, "manual"));
      else this.answerLater(response, behaviour.delayMs);
    } else if (behaviour.mode === "503") {
      this.send(response, UNAVAILABLE);
    } else if (behaviour.mode === "hang") {
      this.hold(response, null);
    } else {
      // A request that slipped in on a connection accepted just before `refused`.
      response.socket?.destroy();
    }
  }

  private answerLater(response: ServerResponse, delayMs: number): void {
    const request: PendingRequest = { response, timer: null };
    request.timer = this.timers.setTimeout(() => {
      this.pending.delete(request);
      this.send(response, healthyAnswer(this.kind, "auto"));
    }, delayMs);
    this.hold(response, request);
  }

  private hold(response: ServerResponse, request: PendingRequest | null): void {
    const held = request ?? { response, timer: null };
    this.pending.add(held);
    response.on("close", () => {
      if (!this.pending.delete(held) || held.timer === null) return;
      this.timers.clearTimeout(held.timer);
    });
  }

  private send(response: ServerResponse, answer: Answer): void {
    if (response.destroyed) return;
    response.writeHead(answer.status, {
      "content-type": answer.contentType,
      "content-length": Buffer.byteLength(answer.body),
      connection: "close",
      [ENDPOINT_HEADER]: this.id,
    });
    response.end(answer.body);
  }
}
