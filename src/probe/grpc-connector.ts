/**
 * The connection under one probe's gRPC channel. grpc-js dials the TCP connection itself and
 * hands the socket to the channel's credentials (its experimental SecureConnector seam); pantau's
 * credentials take it from there: time the connect, make the TLS handshake from the target's
 * TlsSettings and judge the peer as every other kind does (certificate.ts), and keep each socket
 * so the probe's deadline can free it at once.
 */
import { isIP, type Socket } from "node:net";
import { type ConnectionOptions, connect as connectTls, type TLSSocket } from "node:tls";
import { CallCredentials, ChannelCredentials, type experimental } from "@grpc/grpc-js";
import type { TlsSettings } from "../fields/connection-fields.js";
import { judgePeer } from "./certificate.js";
import type { ProbeFailure } from "./failure.js";
import type { ProbeContext } from "./run.js";

export interface GrpcTls {
  settings: TlsSettings;
  /** The name (or IP) the certificate must be valid for, sent as SNI when a name: server_name, else the host. */
  identity: string;
  /** The contents of settings.caFile, read by the probe; null for the system's CAs. */
  ca: Buffer | null;
}

/** What the connector saw: whether grpc-js got a connection, and why the handshake failed. */
export interface ConnectionSeen {
  connected: boolean;
  /** Monotonic time the connection was ready for the call (after TLS); null before. */
  readyAt: number | null;
  failure: ProbeFailure | Error | null;
}

type SecureConnector = experimental.SecureConnector;
const NO_CALL_CREDENTIALS = CallCredentials.createEmpty();
type SecureConnectResult = experimental.SecureConnectResult;

/** Channel credentials for one probe: one channel, one connector, its sockets, its deadline. */
export class ProbeCredentials extends ChannelCredentials {
  readonly seen: ConnectionSeen = { connected: false, readyAt: null, failure: null };
  readonly #sockets: Socket[] = [];
  #ended = false;
  readonly #connectStarted: number;

  constructor(
    private readonly tls: GrpcTls | null,
    private readonly context: ProbeContext,
  ) {
    super();
    this.#connectStarted = context.clock.monotonic();
  }

  _isSecure(): boolean {
    return this.tls !== null;
  }

  // one object per probe: a channel never shares its connection with another probe's
  _equals(other: ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(
    _target: unknown,
    _options: unknown,
    callCredentials?: CallCredentials,
  ): SecureConnector {
    return {
      connect: (socket) => this.#connect(socket),
      waitForReady: () => Promise.resolve(),
      getCallCredentials: () => callCredentials ?? NO_CALL_CREDENTIALS,
      destroy: () => undefined,
    };
  }

  /** No more connections; destroys every socket this probe's channel opened. */
  end(): void {
    this.#ended = true;
    for (let socket = this.#sockets.pop(); socket; socket = this.#sockets.pop()) socket.destroy();
  }

  async #connect(socket: Socket): Promise<SecureConnectResult> {
    const { context } = this;
    if (this.#ended) {
      socket.destroy();
      throw new Error("the probe is over");
    }
    this.seen.connected = true;
    context.trace.phases.connect += context.clock.monotonic() - this.#connectStarted;
    if (this.tls === null) {
      this.#sockets.push(socket);
      this.#ready();
      return { socket, secure: false };
    }
    const secure = connectTls(tlsOptions(socket, this.tls));
    // the TLS socket owns the TCP one: destroying it first is the order Node 20 survives
    this.#sockets.push(secure);
    secure.on("error", ignore);
    context.deadline.phase = "TLS handshake";
    const started = context.clock.monotonic();
    try {
      await handshake(secure);
    } catch (error) {
      this.seen.failure = error instanceof Error ? error : new Error(String(error));
      secure.destroy();
      throw error;
    } finally {
      context.trace.phases.tls += context.clock.monotonic() - started;
    }
    const verdict = judgePeer(secure, this.tls.identity, this.tls.settings.insecureSkipVerify);
    context.trace.certExpiresAt = verdict.certExpiresAt;
    if (verdict.failure !== null) {
      this.seen.failure = verdict.failure;
      secure.destroy();
      throw verdict.failure;
    }
    this.#ready();
    return { socket: secure, secure: true };
  }

  #ready(): void {
    this.seen.readyAt = this.context.clock.monotonic();
    this.context.deadline.phase = "waiting for the health check";
  }
}

/**
 * The handshake as connection.ts makes it: the peer is judged afterwards by judgePeer, so an
 * expired or mismatched certificate is still read. HTTP/2 by ALPN, as gRPC needs.
 */
function tlsOptions(socket: Socket, tls: GrpcTls): ConnectionOptions {
  return {
    socket,
    // SNI carries names only (RFC 6066): none for an IP literal
    servername: isIP(tls.identity) === 0 ? tls.identity : undefined,
    // the block's files as the loader read them (CAs, client certificate and key) when it names
    // any; else the CA file read for this probe, or the system's CAs
    secureContext: tls.settings.credentials?.secureContext,
    ca: tls.settings.credentials === undefined ? (tls.ca ?? undefined) : undefined,
    ALPNProtocols: ["h2"],
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
}

function handshake(socket: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      resolve();
    });
  });
}

function ignore(): void {}
