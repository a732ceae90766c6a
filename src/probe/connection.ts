/**
 * One fresh connection per probe: resolve (honouring ip_family), connect to the address found,
 * then optionally a TLS handshake judged by certificate.ts. Each step is timed into its phase
 * and bounded by the probe's deadline, which owns the sockets from their creation.
 */
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { createConnection, isIP, type Socket } from "node:net";
import { type ConnectionOptions, connect as connectTls, type TLSSocket } from "node:tls";
import type { IpFamily, TlsSettings } from "../fields/connection-fields.js";
import { judgePeer } from "./certificate.js";
import { ProbeFailure } from "./failure.js";
import { type ProbeContext, timePhase } from "./run.js";

export interface Endpoint {
  /** A name or an IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  ipFamily: IpFamily;
  /** Settings of the TLS handshake to make after connecting; null for plain TCP. */
  tls: TlsSettings | null;
  /** ALPN protocols to offer, e.g. `["http/1.1"]`; none when empty. */
  alpn: string[];
}

const FAMILY: Readonly<Record<IpFamily, 0 | 4 | 6>> = { any: 0, ipv4: 4, ipv6: 6 };

/** A connected socket (a TLS one when `endpoint.tls` is set), adopted by the deadline. */
export async function openConnection(
  endpoint: Endpoint,
  context: ProbeContext,
): Promise<Socket | TLSSocket> {
  const { deadline } = context;
  const ca = endpoint.tls?.caFile ? await deadline.race(readCa(endpoint.tls.caFile)) : null;
  deadline.phase = "resolving";
  // an IP literal needs no lookup: no promise, no phase time
  const address =
    literalAddress(endpoint) ??
    (await timePhase(context, "resolve", () => lookupAddress(endpoint, context)));
  // One socket object per connection, even under TLS: Node 20 can crash (SIGSEGV) when a
  // TCP socket is destroyed under a TLS socket wrapping it, so we never wrap one ourselves.
  const socket = deadline.adopt(
    endpoint.tls === null
      ? createConnection({ host: address, port: endpoint.port })
      : connectTls(tlsOptions(address, endpoint, endpoint.tls, ca)),
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

/** The host itself when it is an IP literal of an allowed family; null for a name. */
function literalAddress(endpoint: Endpoint): string | null {
  const literal = isIP(endpoint.host);
  if (literal === 0) return null;
  const family = FAMILY[endpoint.ipFamily];
  if (family !== 0 && literal !== family) {
    throw new ProbeFailure("dns", `${endpoint.host} is not an IPv${family} address (ip_family)`);
  }
  return endpoint.host;
}

async function lookupAddress(endpoint: Endpoint, context: ProbeContext): Promise<string> {
  const family = FAMILY[endpoint.ipFamily];
  const found = await context.deadline.race(lookup(endpoint.host, { family }));
  return found.address;
}

function tlsOptions(
  address: string,
  endpoint: Endpoint,
  settings: TlsSettings,
  ca: Buffer | null,
): ConnectionOptions {
  const identity = settings.serverName ?? endpoint.host;
  return {
    host: address,
    port: endpoint.port,
    // SNI carries names only (RFC 6066): none for an IP literal
    servername: isIP(identity) === 0 ? identity : undefined,
    ca: ca ?? undefined,
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

async function readCa(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ProbeFailure("tls", `ca_file: ${error instanceof Error ? error.message : error}`);
  }
}

function ignore(): void {}
