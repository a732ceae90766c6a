/**
 * One grpc.health.v1.Health/Check on a fresh grpc-js channel, closed when the probe ends: a
 * generic client with the messages encoded by grpc-health-codec.ts. Whatever ends the call —
 * an answer, a gRPC status, a refused connection, a failed handshake — becomes the raw serving
 * status or a ProbeFailure with its reason.
 */
import {
  Client,
  type ClientUnaryCall,
  status as GrpcStatus,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { classifyFailure, ProbeFailure } from "./failure.js";
import { type ConnectionSeen, type GrpcTls, ProbeCredentials } from "./grpc-connector.js";
import { decodeCheckResponse, encodeCheckRequest, HEALTH_CHECK_PATH } from "./grpc-health-codec.js";
import { boundTarget } from "./grpc-source.js";
import { joinHostPort } from "./resolve-address.js";
import type { ProbeContext } from "./run.js";
import type { GrpcFigures } from "./types.js";

export interface HealthCheck {
  /** The address to dial: an IP literal, resolved by the probe. */
  address: string;
  port: number;
  /** `:authority` as written (`simkim.internal.example:50051`), not the address dialled. */
  authority: string;
  service: string;
  tls: GrpcTls | null;
  /** The local address to connect from; null: the system's choice. */
  sourceIpAddress: string | null;
}

/** The status value of the health check's answer; sets figures.statusCode on the way. */
export async function callHealthCheck(
  check: HealthCheck,
  figures: GrpcFigures,
  context: ProbeContext,
): Promise<number> {
  const { deadline, clock } = context;
  const credentials = new ProbeCredentials(check.tls, context);
  const client = new Client(channelTarget(check), credentials, {
    "grpc.default_authority": check.authority,
    // no connection shared with another channel, no TXT lookup, no retry, no channelz bookkeeping
    "grpc.use_local_subchannel_pool": 1,
    "grpc.service_config_disable_resolution": 1,
    "grpc.enable_retries": 0,
    "grpc.enable_channelz": 0,
    "grpc.primary_user_agent": "pantau",
  });
  let call: ClientUnaryCall | null = null;
  deadline.adopt({
    destroy: () => {
      if (deadline.expiry !== null) figures.statusCode = GrpcStatus.DEADLINE_EXCEEDED;
      call?.cancel();
      client.close();
      credentials.end();
    },
  });
  deadline.phase = "connecting";
  const request = encodeCheckRequest(check.service);
  try {
    const response = await deadline.race(
      new Promise<Buffer>((resolve, reject) => {
        call = client.makeUnaryRequest(
          HEALTH_CHECK_PATH,
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          request,
          new Metadata(),
          {},
          (error, value) => (error ? reject(error) : resolve(value ?? Buffer.alloc(0))),
        );
      }),
    );
    figures.statusCode = GrpcStatus.OK;
    context.trace.bytesRead += response.length;
    return decodeCheckResponse(response);
  } catch (error) {
    if (deadline.expiry !== null || !isServiceError(error)) throw error;
    figures.statusCode = error.code;
    throw callFailure(error, credentials.seen);
  } finally {
    const { readyAt } = credentials.seen;
    if (readyAt !== null) context.trace.phases.processing += clock.monotonic() - readyAt;
  }
}

/** The address itself, or through grpc-source.ts's resolver when the connection binds a source. */
function channelTarget(check: HealthCheck): string {
  const address = joinHostPort(check.address, check.port);
  return check.sourceIpAddress === null ? address : boundTarget(check.sourceIpAddress, address);
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "number";
}

const STATUS_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(GrpcStatus)
    .filter(([, value]) => typeof value === "number")
    .map(([name, value]) => [value, name]),
);

/** `OK`, `UNAVAILABLE`…; `UNKNOWN` for a code gRPC does not define. */
export function grpcStatusName(code: number): string {
  return STATUS_NAMES[code] ?? "UNKNOWN";
}

/**
 * UNAVAILABLE is what grpc-js says of a connection it could not make or keep: the handshake's own
 * verdict, the socket error in its details, or HTTP/2 never coming up names the reason. Any other
 * status (and an UNAVAILABLE a server sent itself) is the server's answer.
 */
function callFailure(error: ServiceError, seen: ConnectionSeen): ProbeFailure {
  const noConnection = /^No connection established\. Last error: (.*)$/s.exec(error.details);
  if (error.code === GrpcStatus.UNAVAILABLE && (noConnection || seen.failure !== null)) {
    if (seen.failure instanceof ProbeFailure) return seen.failure;
    if (seen.failure !== null) return asFailure(seen.failure);
    const last = lastError(noConnection?.[1] ?? "");
    const code = /\b(E[A-Z]{4,})\b/.exec(last)?.[1];
    if (code !== undefined) return asFailure(Object.assign(new Error(last), { code }));
    if (last === "Protocol error") {
      return new ProbeFailure("protocol", "the server does not speak HTTP/2 (Protocol error)");
    }
    return new ProbeFailure("reset", `connection closed before HTTP/2 was set up (${last})`);
  }
  const name = grpcStatusName(error.code);
  const details = error.details ? `: ${error.details}` : "";
  return new ProbeFailure("grpc_status", `status ${name} (${error.code})${details}`);
}

function asFailure(error: Error): ProbeFailure {
  const { reason, detail } = classifyFailure(error);
  return new ProbeFailure(reason, detail);
}

/** `Error: connect ECONNREFUSED 127.0.0.1:1 (2026-…). Resolution note: ` → the error itself. */
function lastError(text: string): string {
  return text
    .replace(/^Error: /, "")
    .replace(/\. Resolution note:[\s\S]*$/, "")
    .replace(/ \(\d{4}-\d\d-\d\dT[^)]*\)$/, "")
    .trim();
}
