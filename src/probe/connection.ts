/**
 * One fresh connection per probe: resolve (honouring ip_family and the source address), bind
 * the source address when one is set, connect to the address found, then optionally a TLS
 * handshake (with the client certificate, when one is set) judged by certificate.ts. Each step
 * is timed into its phase and bounded by the probe's deadline, which owns the sockets from
 * their creation.
 */
import { createConnection, isIP, type Socket } from "node:net";
import {
  type ConnectionOptions,
  connect as connectTls,
  type SecureContext,
  type TLSSocket,
} from "node:tls";
import {
  type IpFamily,
  namesTlsFiles,
  type TlsCredentials,
  type TlsSettings,
} from "../fields/connection-fields.js";
import { judgePeer } from "./certificate.js";
import { ProbeFailure } from "./failure.js";
import { resolveAddress } from "./resolve-address.js";
import { type ProbeContext, timePhase } from "./run.js";

export interface Endpoint {
  /** A name or an IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  ipFamily: IpFamily;
  /** The local address to bind (`source_ip_address`); null lets the system choose. */
  sourceIpAddress: string | null;
  /** Name servers to ask (`global.resolver`); null for the system's resolver. */
  resolver: readonly string[] | null;
  /** Settings of the TLS handshake to make after connecting; null for plain TCP. */
  tls: TlsSettings | null;
  /** ALPN protocols to offer, e.g. `["http/1.1"]`; none when empty. */
  alpn: string[];
}

/** A connected socket (a TLS one when `endpoint.tls` is set), adopted by the deadline. */
export async function openConnection(
  endpoint: Endpoint,
  context: ProbeContext,
): Promise<Socket | TLSSocket> {
  const { deadline } = context;
  const { tls } = endpoint;
  const credentials = tls === null ? null : loadedCredentials(tls);
  // an IP literal, or a name global.resolver has cached, needs no lookup and takes no phase time
  const { address } = await resolveAddress(endpoint, context);
  const localAddress = endpoint.sourceIpAddress ?? undefined;
  // One socket object per connection, even under TLS: Node 20 can crash (SIGSEGV) when a
  // TCP socket is destroyed under a TLS socket wrapping it, so we never wrap one ourselves.
  const socket = deadline.adopt(
    endpoint.tls === null
      ? createConnection({ host: address, port: endpoint.port, localAddress })
      : connectTls(tlsOptions(address, endpoint, endpoint.tls, credentials?.secureContext ?? null)),
  );
  socket.setNoDelay(true);
  // stays attached for the socket's life: a late error must never become an uncaught one
  socket.on("error", ignore);
  deadline.phase = "connecting";
  await timePhase(context, "connect", () => deadline.race(settledBy(socket, "connect")));
  if (endpoint.tls === null) return socket;
  deadline.phase = "TLS handshake";
  await timePhase(context, "tls", () => deadline.race(settledBy(socket, "secureConnect")));
  const verdict = judgePeer(
    socket as TLSSocket,
    endpoint.tls.serverName ?? endpoint.host,
    endpoint.tls.insecureSkipVerify,
  );
  context.trace.certExpiresAt = verdict.certExpiresAt;
  if (verdict.failure !== null) throw verdict.failure;
  return socket;
}

/** The TLS files of the block, read by the config loader (at load and on every reload). */
function loadedCredentials(tls: TlsSettings): TlsCredentials | null {
  if (tls.credentials !== undefined || !namesTlsFiles(tls)) return tls.credentials ?? null;
  // a spec made without loadConfig (a bug, or a test that forgot to load its files)
  throw new ProbeFailure(
    "tls",
    "TLS files named but not loaded (the configuration loader reads them)",
  );
}

function tlsOptions(
  address: string,
  endpoint: Endpoint,
  settings: TlsSettings,
  secureContext: SecureContext | null,
): ConnectionOptions & { localAddress?: string } {
  const identity = settings.serverName ?? endpoint.host;
  return {
    host: address,
    port: endpoint.port,
    // passed on to the socket's connect by tls.connect, though its type does not say so
    localAddress: endpoint.sourceIpAddress ?? undefined,
    // SNI carries names only (RFC 6066): none for an IP literal
    servername: isIP(identity) === 0 ? identity : undefined,
    // the CAs, certificate and key of the block, built once at load: none for the defaults
    secureContext: secureContext ?? undefined,
    ALPNProtocols: endpoint.alpn.length > 0 ? endpoint.alpn : undefined,
    // judged by judgePeer, so an expired or mismatched certificate can still be read
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
}

/** Resolves at `event`, rejects at the socket's first error. */
function settledBy(socket: Socket, event: "connect" | "secureConnect"): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once(event, () => {
      socket.off("error", reject);
      resolve();
    });
  });
}

function ignore(): void {}
