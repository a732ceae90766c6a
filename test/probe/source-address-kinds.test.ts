/**
 * `source_ip_address` for the kinds that make their own sockets: DNS (the UDP socket is bound
 * before it connects; TCP goes through connection.ts) and gRPC (grpc-js dials through
 * grpc-source.ts's resolver, which hands net.connect the local address). Real loopback servers
 * record the address each query or call came from. An address this host lacks never gets here:
 * the loader refuses it (test/config/connection-resources.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DnsProbeSpec, dnsKind, probeDns } from "../../src/probe/dns.js";
import { type GrpcProbeSpec, grpcKind, probeGrpc } from "../../src/probe/grpc.js";
import type { ProbeResult, ProbeTarget } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import { type DnsTestServer, startDnsServer } from "../support/servers/dns-server.js";
import {
  type HealthServer,
  SERVING,
  startHealthServer,
} from "../support/servers/grpc-health-server.js";
import { ipv6LoopbackAvailable } from "../support/servers/loopback.js";
import { settleOpenTcpSockets } from "../support/socket-leaks.js";
import { DEFAULT_EXPECT, NO_DEGRADED_RULES } from "../support/targets.js";
import { type TestPki, testPki } from "../support/tls-certs.js";

const options = { clock: systemClock };
const hasIpv6 = await ipv6LoopbackAvailable();
let dns: DnsTestServer;
let grpc: HealthServer;
let grpcTls: HealthServer;
let pki: TestPki;

beforeAll(async () => {
  pki = testPki();
  dns = await startDnsServer();
  grpc = await startHealthServer({ services: { "": SERVING } });
  grpcTls = await startHealthServer({ services: { "": SERVING }, tls: pki.valid });
});

afterAll(async () => {
  await dns.close();
  await grpc.close();
  await grpcTls.close();
});

function target<Spec>(
  kind: { block: { parse(value: unknown): unknown }; resolve(written: never): Spec },
  block: Record<string, unknown>,
): ProbeTarget<Spec> {
  return {
    probe: kind.resolve(kind.block.parse(block) as never),
    timeout: 2000,
    expect: DEFAULT_EXPECT,
    degraded: NO_DEGRADED_RULES,
  };
}

const dnsTarget = (block: Record<string, unknown>): ProbeTarget<DnsProbeSpec> =>
  target(dnsKind, { server: dns.address, ...block });

const grpcTarget = (block: Record<string, unknown>): ProbeTarget<GrpcProbeSpec> =>
  target(grpcKind, { host: "127.0.0.1", port: grpc.port, ...block });

/** The peers `peers` gained while `probe` ran, which must pass. */
async function sawFrom(
  peers: string[],
  probe: () => Promise<ProbeResult>,
): Promise<{ detail: string; peers: string[] }> {
  const before = peers.length;
  const result = await probe();
  expect(result.result, result.detail).toBe("ok");
  return { detail: result.detail, peers: peers.slice(before) };
}

describe("source_ip_address: dns", () => {
  it("UDP: the server sees the query come from 127.0.0.2", async () => {
    const target = dnsTarget({ query_name: "ok.zoo.example", source_ip_address: "127.0.0.2" });
    expect(await sawFrom(dns.peers, () => probeDns(target, options))).toEqual({
      detail: "NOERROR: 1 answer, 0 authority, 0 additional (UDP)",
      peers: ["127.0.0.2"],
    });
  });

  it("TCP: the server sees the connection come from 127.0.0.3", async () => {
    const target = dnsTarget({
      query_name: "ok.zoo.example",
      transport: "tcp",
      source_ip_address: "127.0.0.3",
    });
    expect(await sawFrom(dns.peers, () => probeDns(target, options))).toEqual({
      detail: "NOERROR: 1 answer, 0 authority, 0 additional (TCP)",
      peers: ["127.0.0.3"],
    });
  });

  it("truncated over UDP, asked again over TCP: both from 127.0.0.4", async () => {
    const target = dnsTarget({ query_name: "big.zoo.example", source_ip_address: "127.0.0.4" });
    expect(await sawFrom(dns.peers, () => probeDns(target, options))).toEqual({
      detail: "NOERROR: 40 answer, 0 authority, 0 additional (TCP after a truncated UDP answer)",
      peers: ["127.0.0.4", "127.0.0.4"],
    });
  });

  it("without it, the system chooses (127.0.0.1 on loopback)", async () => {
    const target = dnsTarget({ query_name: "ok.zoo.example" });
    expect((await sawFrom(dns.peers, () => probeDns(target, options))).peers).toEqual([
      "127.0.0.1",
    ]);
  });

  it("an IPv4 source cannot reach an IPv6 server: a dns failure naming why", async () => {
    const target = dnsTarget({
      server: "[::1]:53",
      query_name: "ok.zoo.example",
      source_ip_address: "127.0.0.2",
    });
    expect(await probeDns(target, options)).toMatchObject({
      result: "failed",
      reason: "dns",
      detail: "::1 is not an IPv4 address (source_ip_address 127.0.0.2)",
    });
  });
});

describe("source_ip_address: grpc", () => {
  it("plain: the server sees the call come from 127.0.0.2", async () => {
    const target = grpcTarget({ source_ip_address: "127.0.0.2" });
    expect((await sawFrom(grpc.peers, () => probeGrpc(target, options))).peers).toEqual([
      "127.0.0.2",
    ]);
  });

  it("TLS, by name: the server sees the call come from 127.0.0.5", async () => {
    const target = grpcTarget({
      host: "localhost",
      port: grpcTls.port,
      tls: true,
      tls_config: { ca_file: pki.caFile },
      source_ip_address: "127.0.0.5",
    });
    expect((await sawFrom(grpcTls.peers, () => probeGrpc(target, options))).peers).toEqual([
      "127.0.0.5",
    ]);
  });

  it("without it, the system chooses (127.0.0.1 on loopback)", async () => {
    expect((await sawFrom(grpc.peers, () => probeGrpc(grpcTarget({}), options))).peers).toEqual([
      "127.0.0.1",
    ]);
  });

  it.skipIf(!hasIpv6)(
    "IPv6: bound to ::1, the server sees ::1 (skipped: this host has no IPv6 loopback)",
    async () => {
      const server = await startHealthServer({ services: { "": SERVING }, host: "::1" });
      try {
        const target = grpcTarget({ host: "::1", port: server.port, source_ip_address: "::1" });
        expect((await sawFrom(server.peers, () => probeGrpc(target, options))).peers).toEqual([
          "::1",
        ]);
      } finally {
        await server.close();
      }
    },
  );

  it("an IPv4 source cannot reach an IPv6 literal: a dns failure naming why", async () => {
    const target = grpcTarget({ host: "::1", source_ip_address: "127.0.0.2" });
    expect(await probeGrpc(target, options)).toMatchObject({
      result: "failed",
      reason: "dns",
      detail: "::1 is not an IPv4 address (source_ip_address 127.0.0.2)",
    });
  });

  it("a refused connection from the source is still a refused probe", async () => {
    const target = grpcTarget({ port: 1, source_ip_address: "127.0.0.2" });
    expect(await probeGrpc(target, options)).toMatchObject({
      result: "failed",
      reason: "refused",
    });
  });
});

describe("sockets", () => {
  it("leaves no client socket open once every probe has returned", async () => {
    expect(await settleOpenTcpSockets(1000)).toBe(0);
  });
});
