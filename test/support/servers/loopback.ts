/**
 * Tiny loopback servers for probe tests, one behaviour each: well-behaved HTTP handlers
 * (`respond`, `redirect`, `delayHeaders`, `trickleBody`, `streamBody`…) and raw socket
 * misbehaviours (`resetOnAccept`, `garbageResponse`, `shortBody`…). Every server records its
 * connections — when each was accepted and when the client closed it — so tests can assert that
 * a probe freed its socket promptly.
 */
import { once } from "node:events";
import { createServer as createHttpServer, type RequestListener } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { createServer as createTlsServer } from "node:tls";
import type { HttpTestServerOptions, ServerConnection, TestServer } from "./types.js";

export * from "./behaviours.js";
export type { HttpTestServerOptions, ServerConnection, TestServer } from "./types.js";

/** An HTTP (or, with `options.tls`, HTTPS) server answering every request with `handler`. */
export function startHttpServer(
  handler: RequestListener,
  options: HttpTestServerOptions = {},
): Promise<TestServer> {
  const server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : createHttpServer(handler);
  // http servers keep half-open sockets while a response is pending: close when the client does
  return listen(server, options.tls ? "https" : "http", options, "secureConnection", true);
}

/** A raw TCP (or, with `options.tls`, TLS) server handing each connection to `onSocket`. */
export function startRawServer(
  onSocket: (socket: Socket) => void,
  options: HttpTestServerOptions = {},
): Promise<TestServer> {
  const server = options.tls
    ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onSocket)
    : createNetServer(onSocket);
  return listen(server, options.tls ? "tls" : "tcp", options, "secureConnection", false);
}

/** A port nothing listens on: connecting to it is refused. */
export async function unusedPort(host = "127.0.0.1"): Promise<number> {
  const server = createNetServer();
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/** Whether this host can listen on the IPv6 loopback. */
export async function ipv6LoopbackAvailable(): Promise<boolean> {
  try {
    const server = createNetServer();
    server.listen(0, "::1");
    await once(server, "listening");
    server.close();
    return true;
  } catch {
    return false;
  }
}

async function listen(
  server: Server,
  scheme: string,
  options: HttpTestServerOptions,
  secureEvent: string,
  closeOnEnd: boolean,
): Promise<TestServer> {
  const host = options.host ?? "127.0.0.1";
  const connections: ServerConnection[] = [];
  const track = (socket: Socket): void => {
    connections.push(trackConnection(socket, closeOnEnd));
  };
  // TLS servers: track the TLS socket, which sees the client's close; raw TCP ones the socket
  server.on(options.tls ? secureEvent : "connection", track);
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  const authority = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return {
    host,
    port,
    origin: `${scheme}://${authority}`,
    url: (path = "/") => `${scheme}://${authority}${path}`,
    connections,
    openConnections: () => connections.filter((c) => c.closedAt === null).length,
    close: () => closeServer(server, connections),
  };
}

function trackConnection(socket: Socket, closeOnEnd: boolean): ServerConnection {
  let markClosed: (at: number) => void = () => undefined;
  const connection: ServerConnection = {
    acceptedAt: performance.now(),
    closedAt: null,
    closed: new Promise<number>((resolve) => {
      markClosed = resolve;
    }),
    socket,
  };
  const onGone = (): void => {
    if (connection.closedAt !== null) return;
    connection.closedAt = performance.now();
    markClosed(connection.closedAt);
    if (closeOnEnd) socket.destroy();
  };
  socket.on("end", onGone);
  socket.on("close", onGone);
  // a client that resets or vanishes is exactly what these servers exist to see
  socket.on("error", () => undefined);
  return connection;
}

async function closeServer(server: Server, connections: ServerConnection[]): Promise<void> {
  for (const connection of connections) connection.socket.destroy();
  if (!server.listening) return;
  server.close();
  await once(server, "close");
}
