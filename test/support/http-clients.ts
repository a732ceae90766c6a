/**
 * Clients for the HTTP server's flood tests and bench: slowloris sockets that never finish a
 * request head, and one-shot requests on fresh connections that report what came back — a
 * status, or the socket error (a reset) — instead of throwing.
 */
import { request } from "node:http";
import { connect, type Socket } from "node:net";

/** The start of a request head that is never finished. */
const SLOW_HEAD = "GET /api/v1/targets HTTP/1.1\r\nHost: pantau\r\n";

export interface SlowClient {
  socket: Socket;
  /** What the server sent it, as text. */
  received: string;
  /** The connection has closed. */
  closed: boolean;
}

/** Opens `count` connections that each send part of a head; resolves once all are connected. */
export async function openSlowClients(
  host: string,
  port: number,
  count: number,
): Promise<SlowClient[]> {
  const clients: SlowClient[] = [];
  const connected: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(port, host);
    const client = { socket, received: "", closed: false };
    socket.once("close", () => {
      client.closed = true;
    });
    socket.on("error", () => undefined);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      client.received += chunk;
    });
    clients.push(client);
    connected.push(
      new Promise<void>((resolve) => {
        socket.once("connect", () => {
          socket.write(SLOW_HEAD);
          resolve();
        });
        socket.once("close", () => resolve());
      }),
    );
  }
  await Promise.all(connected);
  return clients;
}

/** One more header byte on each slow client still open: how a slowloris client stays alive. */
export function trickle(clients: readonly SlowClient[]): void {
  for (const { socket } of clients) if (!socket.destroyed) socket.write("X");
}

/** Closes every slow client. */
export function closeAll(clients: readonly SlowClient[]): void {
  for (const { socket } of clients) socket.destroy();
}

export interface Exchange {
  /** The HTTP status, or null when the connection failed. */
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The socket error's code when there was no answer (ECONNRESET …). */
  error: string | null;
  ms: number;
}

export interface ExchangeOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/** One request on a fresh connection (no agent); never rejects. */
export function exchange(
  host: string,
  port: number,
  path: string,
  options: ExchangeOptions = {},
): Promise<Exchange> {
  const began = performance.now();
  return new Promise((resolve) => {
    const done = (answer: Omit<Exchange, "ms">): void =>
      resolve({ ...answer, ms: performance.now() - began });
    const req = request(
      { host, port, path, method: options.method ?? "GET", headers: options.headers, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () =>
          done({ status: res.statusCode ?? null, headers: res.headers, body, error: null }),
        );
        res.on("error", (error: NodeJS.ErrnoException) =>
          done({ status: null, headers: {}, body, error: error.code ?? error.message }),
        );
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error("timeout")));
    req.on("error", (error: NodeJS.ErrnoException) =>
      done({ status: null, headers: {}, body: "", error: error.code ?? error.message }),
    );
    req.end(options.body);
  });
}
