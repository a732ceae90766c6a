/**
 * A grpc-js server implementing grpc.health.v1.Health/Check on a free loopback port, plain or
 * TLS: each service name answers a serving status, fails the call with a gRPC status, never
 * answers, or sends bytes that are not a HealthCheckResponse. Without `services` it has no Health
 * service at all (every call is UNIMPLEMENTED, as a server without health checking answers).
 */
import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
} from "@grpc/grpc-js";

export type HealthBehaviour =
  | { status: number }
  | { error: number; details: string }
  | { hang: true }
  | { raw: Buffer };

export interface HealthServer {
  port: number;
  /** Every service name asked, in order ("" for the server). */
  asked: string[];
  /** The address each call came from, in the order of `asked`. */
  peers: string[];
  close(): Promise<void>;
}

export const SERVING = { status: 1 };
export const NOT_SERVING = { status: 2 };
export const SERVICE_UNKNOWN = { status: 3 };
export const UNKNOWN = { status: 0 };

const identity = (bytes: Buffer): Buffer => bytes;

const HEALTH: ServiceDefinition = {
  Check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export async function startHealthServer(options: {
  services?: Record<string, HealthBehaviour>;
  tls?: { key: string; cert: string };
  /** The loopback address to listen on: 127.0.0.1 unless given (`::1`). */
  host?: string;
  /** With tls: require a client certificate this CA (PEM) signed. */
  clientCa?: string;
}): Promise<HealthServer> {
  const server = new Server();
  const asked: string[] = [];
  const peers: string[] = [];
  const hung: sendUnaryData<Buffer>[] = [];
  const services = options.services;
  if (services !== undefined) {
    server.addService(HEALTH, {
      Check: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        const service = serviceOf(call.request);
        asked.push(service);
        peers.push(peerAddress(call.getPeer()));
        // grpc-go's answer for a service it does not know: NOT_FOUND
        const behaviour = services[service] ?? { error: 5, details: "unknown service" };
        if ("hang" in behaviour) hung.push(callback);
        else if ("raw" in behaviour) callback(null, behaviour.raw);
        else if ("error" in behaviour)
          callback({ code: behaviour.error, details: behaviour.details });
        else
          callback(
            null,
            behaviour.status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, behaviour.status]),
          );
      },
    });
  }
  const credentials = options.tls
    ? ServerCredentials.createSsl(
        options.clientCa === undefined ? null : Buffer.from(options.clientCa),
        [{ private_key: Buffer.from(options.tls.key), cert_chain: Buffer.from(options.tls.cert) }],
        options.clientCa !== undefined,
      )
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${listenHost(options.host)}:0`, credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    port,
    asked,
    peers,
    close: async () => {
      server.forceShutdown();
    },
  };
}

const listenHost = (host = "127.0.0.1"): string => (host.includes(":") ? `[${host}]` : host);

/** Field 1 of a HealthCheckRequest (names under 128 bytes: one length byte). */
function serviceOf(request: Buffer): string {
  if (request.length === 0) return "";
  return request.subarray(2, 2 + (request[1] ?? 0)).toString("utf8");
}

/** `127.0.0.2:40312`, `[::1]:40312` (grpc-js' getPeer) → the address alone. */
function peerAddress(peer: string): string {
  return peer.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
}
