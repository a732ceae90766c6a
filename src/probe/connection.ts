/**
 * One fresh connection per probe: resolve (honouring ip_family), connect to the address found,
 * then optionally a TLS handshake judged by certificate.ts. Each step is timed into its phase
 * and bounded by the probe's deadline, which owns the sockets from their creation.
 */
import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import { createConnection, isIP, type Socket } from "node:net";
import { connect as connectTls, type TLSSocket } from "node:tls";
import type { IpFamily, TlsSettings } from "../config/types.js";
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
  const ca = endpoint.tls?.caFile ? await context.deadline.race(readCa(endpoint.tls.caFile)) : null;
  context.deadline.phase = "resolving";
  const address = await timePhase(context, "resolve", () => resolveAddress(endpoint, context));
  context.deadline.phase = "connecting";
  const socket = await timePhase(context, "connect", () =>
    context.deadline.race(connectTcp(address, endpoint.port, context)),
  );
  if (endpoint.tls === null) return socket;
  const settings = endpoint.tls;
  context.deadline.phase = "TLS handshake";
  return timePhase(context, "tls", () => handshake(socket, endpoint, settings, ca, context));
}

async function resolveAddress(endpoint: Endpoint, context: ProbeContext): Promise<string> {
  const family = FAMILY[endpoint.ipFamily];
  const literal = isIP(endpoint.host);
  if (literal === 0) {
    const found = await context.deadline.race(lookup(endpoint.host, { family }));
    return found.address;
  }
  if (family !== 0 && literal !== family) {
    throw new ProbeFailure("dns", `${endpoint.host} is not an IPv${family} address (ip_family)`);
  }
  return endpoint.host;
}

function connectTcp(address: string, port: number, context: ProbeContext): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = context.deadline.adopt(createConnection({ host: address, port, noDelay: true }));
    // stays attached for the socket's life: a late error must never become an uncaught one
    socket.on("error", ignore);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

async function handshake(
  socket: Socket,
  endpoint: Endpoint,
  settings: TlsSettings,
  ca: Buffer | null,
  context: ProbeContext,
): Promise<TLSSocket> {
  const identity = settings.serverName ?? endpoint.host;
  const secure = await context.deadline.race(
    new Promise<TLSSocket>((resolve, reject) => {
      const tlsSocket = context.deadline.adopt(
        connectTls({
          socket,
          // SNI carries names only (RFC 6066): none for an IP literal
          servername: isIP(identity) === 0 ? identity : undefined,
          ca: ca ?? undefined,
          ALPNProtocols: endpoint.alpn.length > 0 ? endpoint.alpn : undefined,
          // judged by judgePeer, so an expired or mismatched certificate can still be read
          rejectUnauthorized: false,
          checkServerIdentity: () => undefined,
        }),
      );
      tlsSocket.on("error", ignore);
      tlsSocket.once("error", reject);
      tlsSocket.once("secureConnect", () => {
        tlsSocket.off("error", reject);
        resolve(tlsSocket);
      });
    }),
  );
  const verdict = judgePeer(secure, identity, settings.insecureSkipVerify);
  context.trace.certExpiresAt = verdict.certExpiresAt;
  if (verdict.failure !== null) throw verdict.failure;
  return secure;
}

async function readCa(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ProbeFailure("tls", `ca_file: ${error instanceof Error ? error.message : error}`);
  }
}

function ignore(): void {}
