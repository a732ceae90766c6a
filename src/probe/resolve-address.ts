/**
 * The address a probe talks to when the kind, not connection.ts, makes the connection: a DNS
 * server reached over UDP, a gRPC server reached by grpc-js. Same rules as connection.ts: an IP
 * literal needs no lookup (and must be of the allowed family), a name is looked up once, timed
 * into the `resolve` phase and bounded by the deadline.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { IpFamily } from "../fields/connection-fields.js";
import { ProbeFailure } from "./failure.js";
import { type ProbeContext, timePhase } from "./run.js";

const FAMILY: Readonly<Record<IpFamily, 0 | 4 | 6>> = { any: 0, ipv4: 4, ipv6: 6 };

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export async function resolveAddress(
  host: string,
  ipFamily: IpFamily,
  context: ProbeContext,
  /** `source_ip_address`: with ip_family any, its family is the one to use (as connection.ts). */
  sourceIpAddress: string | null = null,
): Promise<ResolvedAddress> {
  const { wanted, because } = wantedFamily(ipFamily, sourceIpAddress);
  const literal = isIP(host);
  if (literal === 4 || literal === 6) {
    if (wanted !== 0 && literal !== wanted) {
      throw new ProbeFailure("dns", `${host} is not an IPv${wanted} address (${because})`);
    }
    return { address: host, family: literal };
  }
  context.deadline.phase = "resolving";
  const found = await timePhase(context, "resolve", () =>
    context.deadline.race(lookup(host, { family: wanted })),
  );
  return { address: found.address, family: found.family === 6 ? 6 : 4 };
}

/** A socket bound to an IPv4 address reaches IPv4 peers only: the source decides under `any`. */
function wantedFamily(
  ipFamily: IpFamily,
  source: string | null,
): { wanted: 0 | 4 | 6; because: string } {
  const wanted = FAMILY[ipFamily];
  if (wanted !== 0 || source === null) return { wanted, because: "ip_family" };
  return { wanted: isIP(source) === 6 ? 6 : 4, because: `source_ip_address ${source}` };
}

/** `127.0.0.1:53`, `[::1]:53`: an address and port as written in details and targets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
