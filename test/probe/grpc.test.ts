/**
 * probeGrpc against real grpc-js health servers on loopback, plain and TLS (certificates made at
 * test time): every serving status, gRPC error statuses, a server without the Health service,
 * connection and handshake failures, hangs — each with its exact reason and detail.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GrpcProbeSpec, grpcKind, probeGrpc } from "../../src/probe/grpc.js";
import type { GrpcFigures, ProbeResult, ProbeTarget } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import {
  type HealthServer,
  NOT_SERVING,
  SERVICE_UNKNOWN,
  SERVING,
  startHealthServer,
  UNKNOWN,
} from "../support/servers/grpc-health-server.js";
import {
  acceptAndHold,
  startHttpServer,
  startRawServer,
  type TestServer,
  unusedPort,
} from "../support/servers/loopback.js";
import { openTcpSockets, settleOpenTcpSockets } from "../support/socket-leaks.js";
import { DEFAULT_EXPECT, NO_DEGRADED_RULES } from "../support/targets.js";
import { EXPIRED_NOT_AFTER, type TestPki, testPki } from "../support/tls-certs.js";
import { until } from "../support/until.js";

const DAY = 86_400_000;
const options = { clock: systemClock };

let pki: TestPki;
const health: Record<string, HealthServer> = {};
const raw: Record<string, TestServer> = {};

beforeAll(async () => {
  pki = testPki();
  health.plain = await startHealthServer({
    services: {
      "": SERVING,
      "simkim.Core": SERVING,
      "simkim.Down": NOT_SERVING,
      "simkim.Unknown": SERVICE_UNKNOWN,
      "simkim.Zero": UNKNOWN,
      "simkim.Seven": { status: 7 },
      "simkim.Maintenance": { error: 14, details: "maintenance window" },
      "simkim.Denied": { error: 7, details: "no" },
      "simkim.Hang": { hang: true },
      "simkim.Garbage": { raw: Buffer.from([0x0f]) },
    },
  });
  health.noHealth = await startHealthServer({});
  health.tls = await startHealthServer({ services: { "": SERVING }, tls: pki.valid });
  health.expired = await startHealthServer({ services: { "": SERVING }, tls: pki.expired });
  health.soon = await startHealthServer({ services: { "": SERVING }, tls: pki.expiringSoon });
  health.wrongHost = await startHealthServer({ services: { "": SERVING }, tls: pki.wrongHost });
  health.selfSigned = await startHealthServer({ services: { "": SERVING }, tls: pki.selfSigned });
  raw.hold = await startRawServer(acceptAndHold);
  raw.http1 = await startHttpServer((_request, response) => response.end("ok"));
});

afterAll(async () => {
  for (const server of [...Object.values(health), ...Object.values(raw)]) await server.close();
});

const portOf = (name: string): number => health[name]?.port ?? raw[name]?.port ?? 0;

/** A gRPC target as the config makes it: the `grpc:` block as written, through the kind's resolve. */
function grpcTarget(
  block: Record<string, unknown>,
  more: Partial<ProbeTarget<GrpcProbeSpec>> = {},
): ProbeTarget<GrpcProbeSpec> {
  return {
    probe: grpcKind.resolve(grpcKind.block.parse({ host: "127.0.0.1", ...block })),
    timeout: 2000,
    expect: DEFAULT_EXPECT,
    degraded: NO_DEGRADED_RULES,
    ...more,
  };
}

const tlsTo = (server: string, more: Record<string, unknown> = {}) => ({
  host: "localhost",
  port: portOf(server),
  tls: true,
  tls_config: { ca_file: pki.caFile, ...more },
});

const answered = (servingStatus: GrpcFigures["servingStatus"]): GrpcFigures => ({
  kind: "grpc",
  statusCode: 0,
  servingStatus,
});
const ended = (statusCode: number): GrpcFigures => ({
  kind: "grpc",
  statusCode,
  servingStatus: null,
});

interface GrpcCase {
  name: string;
  block: () => Record<string, unknown>;
  want: () => Partial<ProbeResult>;
}

const cases: GrpcCase[] = [
  {
    name: "the server is SERVING",
    block: () => ({ port: portOf("plain") }),
    want: () => ({
      result: "ok",
      reason: null,
      detail: "SERVING",
      figures: answered("SERVING"),
      certExpiresAt: null,
    }),
  },
  {
    name: "a named service is SERVING",
    block: () => ({ port: portOf("plain"), service: "simkim.Core" }),
    want: () => ({ result: "ok", detail: 'SERVING (service "simkim.Core")' }),
  },
  {
    name: "NOT_SERVING",
    block: () => ({ port: portOf("plain"), service: "simkim.Down" }),
    want: () => ({
      result: "failed",
      reason: "not_serving",
      detail: 'NOT_SERVING (service "simkim.Down")',
      figures: answered("NOT_SERVING"),
    }),
  },
  {
    name: "SERVICE_UNKNOWN",
    block: () => ({ port: portOf("plain"), service: "simkim.Unknown" }),
    want: () => ({
      result: "failed",
      reason: "not_serving",
      detail: 'SERVICE_UNKNOWN (service "simkim.Unknown")',
      figures: answered("SERVICE_UNKNOWN"),
    }),
  },
  {
    name: "UNKNOWN (an empty response)",
    block: () => ({ port: portOf("plain"), service: "simkim.Zero" }),
    want: () => ({ result: "failed", reason: "not_serving", figures: answered("UNKNOWN") }),
  },
  {
    name: "a serving status grpc.health.v1 does not define",
    block: () => ({ port: portOf("plain"), service: "simkim.Seven" }),
    want: () => ({
      result: "failed",
      reason: "not_serving",
      detail: 'serving status 7 (service "simkim.Seven")',
      figures: answered(null),
    }),
  },
  {
    name: "a service the server does not know (NOT_FOUND, as grpc-go answers)",
    block: () => ({ port: portOf("plain"), service: "simkim.Nope" }),
    want: () => ({
      result: "failed",
      reason: "grpc_status",
      detail: "status NOT_FOUND (5): unknown service",
      figures: ended(5),
    }),
  },
  {
    name: "a server without the Health service (UNIMPLEMENTED)",
    block: () => ({ port: portOf("noHealth") }),
    want: () => ({
      result: "failed",
      reason: "grpc_status",
      detail:
        "status UNIMPLEMENTED (12): The server does not implement the method /grpc.health.v1.Health/Check",
      figures: ended(12),
    }),
  },
  {
    name: "UNAVAILABLE sent by the server itself",
    block: () => ({ port: portOf("plain"), service: "simkim.Maintenance" }),
    want: () => ({
      result: "failed",
      reason: "grpc_status",
      detail: "status UNAVAILABLE (14): maintenance window",
      figures: ended(14),
    }),
  },
  {
    name: "another status",
    block: () => ({ port: portOf("plain"), service: "simkim.Denied" }),
    want: () => ({
      result: "failed",
      reason: "grpc_status",
      detail: "status PERMISSION_DENIED (7): no",
    }),
  },
  {
    name: "a response that is not a HealthCheckResponse",
    block: () => ({ port: portOf("plain"), service: "simkim.Garbage" }),
    want: () => ({
      result: "failed",
      reason: "protocol",
      detail: "malformed health check response (wire type 7 of field 1)",
    }),
  },
  {
    name: "a server that never answers the call",
    block: () => ({ port: portOf("plain"), service: "simkim.Hang" }),
    want: () => ({
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (waiting for the health check)",
      figures: ended(4),
    }),
  },
  {
    name: "a server that accepts and never speaks HTTP/2",
    block: () => ({ port: portOf("hold") }),
    want: () => ({
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (waiting for the health check)",
      figures: ended(4),
    }),
  },
  {
    name: "an HTTP/1.1 server",
    block: () => ({ port: portOf("http1") }),
    want: () => ({
      result: "failed",
      reason: "protocol",
      detail: "the server does not speak HTTP/2 (Protocol error)",
      figures: ended(14),
    }),
  },
  {
    name: "TLS with the custom CA",
    block: () => tlsTo("tls"),
    want: () => ({
      result: "ok",
      detail: "SERVING",
      certExpiresAt: pki.valid.notAfter.getTime(),
    }),
  },
  {
    name: "TLS with an expired certificate",
    block: () => tlsTo("expired"),
    want: () => ({
      result: "failed",
      reason: "cert_expired",
      detail: "certificate has expired (notAfter 2021-01-01T00:00:00Z)",
      certExpiresAt: EXPIRED_NOT_AFTER.getTime(),
      figures: ended(14),
    }),
  },
  {
    name: "TLS with a certificate for another host",
    block: () => tlsTo("wrongHost"),
    want: () => ({
      result: "failed",
      reason: "tls",
      detail: "certificate is valid for DNS:wrong.example, not localhost",
    }),
  },
  {
    name: "TLS with a certificate for another host, server_name set to it",
    block: () => tlsTo("wrongHost", { server_name: "wrong.example" }),
    want: () => ({ result: "ok", detail: "SERVING" }),
  },
  {
    name: "TLS with a self-signed certificate",
    block: () => tlsTo("selfSigned"),
    want: () => ({
      result: "failed",
      reason: "tls",
      detail: "self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)",
    }),
  },
  {
    name: "TLS with a self-signed certificate and insecure_skip_verify",
    block: () => tlsTo("selfSigned", { insecure_skip_verify: true }),
    want: () => ({ result: "ok", certExpiresAt: pki.selfSigned.notAfter.getTime() }),
  },
  {
    name: "TLS without the CA",
    block: () => ({ host: "localhost", port: portOf("tls"), tls: true }),
    want: () => ({
      result: "failed",
      reason: "tls",
      detail: "unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
    }),
  },
  {
    name: "TLS to a plain server",
    block: () => ({ port: portOf("plain"), tls: true }),
    want: () => ({
      result: "failed",
      reason: "tls",
      detail: "TLS handshake failed: wrong version number",
    }),
  },
  {
    name: "plain to a TLS server",
    block: () => ({ port: portOf("tls") }),
    want: () => ({
      result: "failed",
      reason: "reset",
      detail: "connection closed before HTTP/2 was set up (Failed to connect)",
      figures: ended(14),
    }),
  },
  {
    name: "an IPv4 host with ip_family ipv6",
    block: () => ({ port: portOf("plain"), ip_family: "ipv6" }),
    want: () => ({
      result: "failed",
      reason: "dns",
      detail: "127.0.0.1 is not an IPv6 address (ip_family)",
      figures: ended(14),
    }),
  },
];

describe("probeGrpc", () => {
  it.each(cases)("$name", async ({ block, want }) => {
    const result = await probeGrpc(grpcTarget(block(), { timeout: 300 }), options);
    expect(result).toMatchObject(want());
  });

  it("asks for the service named, and for the server with none", async () => {
    const server = health.plain as HealthServer;
    const before = server.asked.length;
    await probeGrpc(grpcTarget({ port: server.port }), options);
    await probeGrpc(grpcTarget({ port: server.port, service: "simkim.Core" }), options);
    expect(server.asked.slice(before)).toEqual(["", "simkim.Core"]);
  });

  it("a closed port is refused, with the address in the detail", async () => {
    const port = await unusedPort();
    const result = await probeGrpc(grpcTarget({ port }), options);
    expect(result).toMatchObject({
      result: "failed",
      reason: "refused",
      detail: `connect ECONNREFUSED 127.0.0.1:${port}`,
      figures: ended(14),
    });
  });

  it("a certificate expiring within cert_expires_within degrades", async () => {
    const target = grpcTarget(tlsTo("soon"), {
      degraded: { ...NO_DEGRADED_RULES, certExpiresWithin: 14 * DAY },
    });
    expect(await probeGrpc(target, options)).toMatchObject({
      result: "degraded",
      reason: "cert_expiring",
      certExpiresAt: pki.expiringSoon.notAfter.getTime(),
    });
  });

  it("times the resolve, connect, TLS and call phases", async () => {
    const result = await probeGrpc(grpcTarget(tlsTo("tls")), options);
    expect(result.result).toBe("ok");
    for (const phase of ["resolve", "connect", "tls", "processing"] as const) {
      expect(result.phases[phase], phase).toBeGreaterThan(0);
    }
  });

  it("frees the connection at once when the deadline fires", async () => {
    const server = raw.hold as TestServer;
    const accepted = server.connections.length;
    const started = performance.now();
    const result = await probeGrpc(grpcTarget({ port: server.port }, { timeout: 300 }), options);
    const endedAt = performance.now();
    expect(result.reason).toBe("timeout");
    expect(endedAt - started).toBeLessThan(400);
    const closedAt = await server.connections[accepted]?.closed;
    expect((closedAt ?? Number.POSITIVE_INFINITY) - endedAt).toBeLessThan(100);
    expect(server.connections.length).toBe(accepted + 1);
  });

  it("closes its channel's connection as soon as the verdict is in", async () => {
    // client and server side both live in this process: every socket of the probe must go
    const before = openTcpSockets();
    const result = await probeGrpc(grpcTarget({ port: portOf("plain") }), options);
    expect(result.result).toBe("ok");
    await until(() => openTcpSockets() === before, {
      what: "the probe's connection to close",
      timeoutMs: 100,
      intervalMs: 5,
    });
  });
});

describe("sockets", () => {
  it("leaves no socket open once every probe has returned", async () => {
    for (const server of [...Object.values(health), ...Object.values(raw)]) await server.close();
    expect(await settleOpenTcpSockets(1000)).toBe(0);
  });
});
