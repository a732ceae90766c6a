/** The shapes shared by the loopback test servers (loopback.ts) and their behaviours. */
import type { Socket } from "node:net";

export interface HttpTestServerOptions {
  /** Listen address; 127.0.0.1 unless given (`::1` for IPv6 tests). */
  host?: string;
  /** Serve TLS with this key and certificate (PEM), e.g. from tls-certs.ts. */
  tls?: { key: string; cert: string };
}

/** One accepted connection, as the server saw it. */
export interface ServerConnection {
  /** performance.now() at accept (after the handshake for TLS servers). */
  acceptedAt: number;
  /** performance.now() when the client closed (FIN or RST) its side; null while open. */
  closedAt: number | null;
  /** Resolves with closedAt. */
  closed: Promise<number>;
  socket: Socket;
}

export interface TestServer {
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT`, `https://[::1]:PORT`, `tcp://…`, `tls://…`. */
  origin: string;
  /** The origin plus `path` (default `/`). */
  url(path?: string): string;
  /**
   * Every connection accepted so far, oldest first. TLS servers record a connection once its
   * handshake is done: one the client drops mid-handshake is not listed.
   */
  connections: readonly ServerConnection[];
  /** Connections the client has not closed yet. */
  openConnections(): number;
  /** Destroy every connection and stop listening. Safe to call twice. */
  close(): Promise<void>;
}
