/**
 * The address a probe talks to: for connection.ts (HTTP, TCP, TLS), a DNS server reached over UDP,
 * and a gRPC server reached by grpc-js (dialled at the address found here, so grpc-js never looks
 * a name up itself). An IP literal needs no lookup (and must be of the allowed family); a name
 * goes to `global.resolver` when it is set (a cached answer waits on nothing and takes no phase
 * time), else to the system's lookup; a lookup is timed into the `resolve` phase and bounded by
 * the deadline.
 */
import { isIP } from "node:net";
import type { IpFamily } from "../fields/connection-fields.js";
import { ProbeFailure } from "./failure.js";
import { resolverFor } from "./resolver.js";
import { type ProbeContext, timePhase } from "./run.js";

const FAMILY: Readonly<Record<IpFamily, 0 | 4 | 6>> = { any: 0, ipv4: 4, ipv6: 6 };

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface AddressQuery {
  host: string;
  ipFamily: IpFamily;
  /** `source_ip_address`: with ip_family any, its family is the one to use. */
  sourceIpAddress: string | null;
  /** Name servers to ask (`global.resolver`); null for the system's lookup. */
  resolver: readonly string[] | null;
}

export async function resolveAddress(
  query: AddressQuery,
  context: ProbeContext,
): Promise<ResolvedAddress> {
  const { host } = query;
  const { wanted, because } = wantedFamily(query.ipFamily, query.sourceIpAddress);
  const literal = isIP(host);
  if (literal === 4 || literal === 6) {
    if (wanted !== 0 && literal !== wanted) {
      throw new ProbeFailure("dns", `${host} is not an IPv${wanted} address (${because})`);
    }
    return { address: host, family: literal };
  }
  context.deadline.phase = "resolving";
  const resolver = resolverFor(query.resolver);
  const address =
    resolver.cached(host, wanted) ??
    (await timePhase(context, "resolve", () =>
      context.deadline.race(resolver.resolve(host, wanted)),
    ));
  return { address, family: isIP(address) === 6 ? 6 : 4 };
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
