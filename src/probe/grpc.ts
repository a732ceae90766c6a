/**
 * The gRPC prober kind: blackbox_exporter's `grpc` module, the standard
 * grpc.health.v1.Health/Check for a named service (empty: the server as a whole), plain or TLS,
 * on a fresh grpc-js channel per probe. SERVING is up; any other answer or status is down.
 */
import { readFile } from "node:fs/promises";
import * as z from "zod";
import {
  type IpFamily,
  ipFamily,
  resolveSourceIpAddress,
  resolveTls,
  sourceIpAddress,
  type TlsSettings,
  tlsSettings,
} from "../fields/connection-fields.js";
import { DEFAULTS } from "../fields/defaults.js";
import { type ConfigPath, isRecord, type PathIssue, pathIssue } from "../fields/path-issue.js";
import { hostName } from "../fields/values.js";
import { evaluateConnection } from "./evaluate.js";
import { ProbeFailure } from "./failure.js";
import { callHealthCheck } from "./grpc-call.js";
import type { GrpcTls } from "./grpc-connector.js";
import { GRPC_FAMILIES } from "./grpc-families.js";
import { servingStatusName } from "./grpc-health-codec.js";
import type { ProberKind } from "./kind.js";
import { joinHostPort, resolveAddress } from "./resolve-address.js";
import { type Judge, type ProbeContext, runProbe } from "./run.js";
import type { GrpcFigures, ProbeOptions, ProbeResult, ProbeTarget } from "./types.js";

export interface GrpcProbeSpec {
  kind: "grpc";
  host: string;
  port: number;
  /** The service whose health is asked; "" for the server as a whole. */
  service: string;
  tls: boolean;
  tlsSettings: TlsSettings;
  ipFamily: IpFamily;
  /** The local address the channel's connection binds (`source_ip_address`); null: the system's choice. */
  sourceIpAddress: string | null;
}

const block = z.strictObject({
  host: hostName().meta({ description: "host name or IP address" }),
  port: z.int().min(1).max(65_535),
  service: z.string().optional().meta({
    description: "service whose health to ask; empty: the server as a whole",
    default: "",
  }),
  tls: z.boolean().optional().meta({ description: "connect with TLS", default: false }),
  tls_config: tlsSettings.optional().meta({ description: "TLS settings; needs tls: true" }),
  ip_family: ipFamily(),
  source_ip_address: sourceIpAddress(),
});

function resolve(grpc: z.output<typeof block>): GrpcProbeSpec {
  return {
    kind: "grpc",
    host: grpc.host,
    port: grpc.port,
    service: grpc.service ?? "",
    tls: grpc.tls ?? false,
    tlsSettings: resolveTls(grpc.tls_config),
    ipFamily: grpc.ip_family ?? DEFAULTS.ipFamily,
    sourceIpAddress: resolveSourceIpAddress(grpc.source_ip_address),
  };
}

function check(target: Readonly<Record<string, unknown>>, path: ConfigPath): PathIssue[] {
  const grpc = isRecord(target.grpc) ? target.grpc : {};
  if (grpc.tls_config === undefined || grpc.tls === true) return [];
  return [pathIssue("CONFIG_PROBER", [...path, "grpc", "tls_config"], "needs tls: true", "key")];
}

/** `grpc://simkim.internal.example:50051`, `grpcs://…:443/simkim.Core` (the service, when named). */
function endpoint(spec: GrpcProbeSpec): string {
  const scheme = spec.tls ? "grpcs" : "grpc";
  const service = spec.service === "" ? "" : `/${spec.service}`;
  return `${scheme}://${joinHostPort(spec.host, spec.port)}${service}`;
}

export const grpcKind: ProberKind<GrpcProbeSpec, typeof block> = {
  key: "grpc",
  block,
  resolve,
  check,
  readsBody: false,
  probe: probeGrpc,
  endpoint,
  families: GRPC_FAMILIES,
};

export function probeGrpc(
  target: ProbeTarget<GrpcProbeSpec>,
  options: ProbeOptions,
): Promise<ProbeResult> {
  const spec = target.probe;
  return runProbe(target.timeout, options, async (context): Promise<Judge> => {
    // UNAVAILABLE until the call says otherwise: gRPC's word for "no connection could be made"
    const figures: GrpcFigures = { kind: "grpc", statusCode: 14, servingStatus: null };
    context.trace.figures = figures;
    const { address } = await resolveAddress(
      {
        host: spec.host,
        ipFamily: spec.ipFamily,
        sourceIpAddress: spec.sourceIpAddress,
        resolver: target.resolver ?? null,
      },
      context,
    );
    const tls = spec.tls ? await grpcTls(spec, context) : null;
    const value = await callHealthCheck(
      {
        address,
        port: spec.port,
        authority: joinHostPort(spec.host, spec.port),
        service: spec.service,
        tls,
        sourceIpAddress: spec.sourceIpAddress,
      },
      figures,
      context,
    );
    figures.servingStatus = servingStatusName(value);
    return ({ durationMs, now }) => {
      const answer = `${figures.servingStatus ?? `serving status ${value}`}${forService(spec)}`;
      if (figures.servingStatus !== "SERVING") {
        return { result: "failed", reason: "not_serving", detail: answer };
      }
      const verdict = evaluateConnection(
        { durationMs, now, certExpiresAt: context.trace.certExpiresAt },
        target.degraded,
      );
      return verdict.result === "ok" ? { ...verdict, detail: answer } : verdict;
    };
  });
}

const forService = (spec: GrpcProbeSpec): string =>
  spec.service === "" ? "" : ` (service ${JSON.stringify(spec.service)})`;

/** The handshake's settings, the CA file read for this probe (a reload may change it). */
async function grpcTls(spec: GrpcProbeSpec, context: ProbeContext): Promise<GrpcTls> {
  const { caFile, serverName, credentials } = spec.tlsSettings;
  // loaded with the config (and on reload) when it came through the loader: nothing to read
  const ca =
    caFile === null || credentials !== undefined
      ? null
      : await context.deadline.race(readCa(caFile));
  return { settings: spec.tlsSettings, identity: serverName ?? spec.host, ca };
}

async function readCa(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ProbeFailure("tls", `ca_file: ${error instanceof Error ? error.message : error}`);
  }
}
