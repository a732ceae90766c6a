/**
 * `source_ip_address` for gRPC. grpc-js has no channel option for the local address: its
 * subchannel dials with `net.connect(address)`, where `address` is the object its name resolver
 * produced. So a resolver of pantau's own, for the `pantau-source` scheme, hands back the probe's
 * already-resolved address with `localAddress` beside host and port, and net.connect binds it.
 * Target: `pantau-source://SOURCE/ADDRESS:PORT` (`pantau-source://::1/[::1]:50051` for IPv6).
 * The tests watch a server see the source address, so a grpc-js that stops passing the object
 * through fails them rather than silently connecting from the system's choice.
 */
import { experimental } from "@grpc/grpc-js";

const SCHEME = "pantau-source";

/** The channel target that makes grpc-js connect to `address` (`host:port`) from `source`. */
export function boundTarget(source: string, address: string): string {
  register();
  return `${SCHEME}://${source}/${address}`;
}

/** `[::1]:50051`, `127.0.0.1:50051` → host (IPv6 without brackets) and port. */
function splitAddress(text: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text);
  if (match === null) throw new Error(`not an address and port: ${text}`);
  return { host: match[1] as string, port: Number(match[2]) };
}

class SourceBoundResolver implements experimental.Resolver {
  constructor(
    private readonly target: experimental.GrpcUri,
    private readonly listener: experimental.ResolverListener,
  ) {}

  updateResolution(): void {
    const address = { ...splitAddress(this.target.path), localAddress: this.target.authority };
    // never synchronously with the constructor or this call: the resolver contract
    setImmediate(() => {
      this.listener({ ok: true, value: [{ addresses: [address] }] }, {}, null, "");
    });
  }

  destroy(): void {}

  static getDefaultAuthority(target: experimental.GrpcUri): string {
    return target.path;
  }
}

let registered = false;

function register(): void {
  if (registered) return;
  experimental.registerResolver(SCHEME, SourceBoundResolver);
  registered = true;
}
