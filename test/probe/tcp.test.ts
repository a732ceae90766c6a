/** probeTcp against real loopback servers: blackbox_exporter's tcp_connect, with optional TLS. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TlsSettings } from "../../src/fields/connection-fields.js";
import type { TcpProbeSpec } from "../../src/probe/tcp.js";
import { probeTcp } from "../../src/probe/tcp.js";
import type { ProbeResult } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import {
  acceptAndHold,
  ipv6LoopbackAvailable,
  startRawServer,
  type TestServer,
  unusedPort,
} from "../support/servers/loopback.js";
import { settleOpenTcpSockets } from "../support/socket-leaks.js";
import { type TargetOverrides, tcpTarget } from "../support/targets.js";
import { EXPIRED_NOT_AFTER, loadedTls, type TestPki, testPki } from "../support/tls-certs.js";

const DAY = 86_400_000;
const options = { clock: systemClock };

let pki: TestPki;
const servers: Record<string, TestServer> = {};

/** The test CA, read as the config loader reads a ca_file. */
let caTls: TlsSettings;

beforeAll(async () => {
  pki = testPki();
  caTls = await loadedTls({ caFile: pki.caFile });
  servers.open = await startRawServer(acceptAndHold);
  servers.tls = await startRawServer(acceptAndHold, { tls: pki.valid });
  servers.expired = await startRawServer(acceptAndHold, { tls: pki.expired });
  servers.expiringSoon = await startRawServer(acceptAndHold, { tls: pki.expiringSoon });
});

afterAll(async () => {
  for (const server of Object.values(servers)) await server.close();
});

function portOf(server: string): number {
  return servers[server]?.port ?? 0;
}

function withTls(more: TargetOverrides<TcpProbeSpec> = {}): TargetOverrides<TcpProbeSpec> {
  return {
    ...more,
    probe: {
      tls: true,
      tlsSettings: caTls,
      ...more.probe,
    },
  };
}

interface TcpCase {
  name: string;
  host?: string;
  port: () => Promise<number> | number;
  target?: () => TargetOverrides<TcpProbeSpec>;
  want: () => Partial<ProbeResult>;
}

const cases: TcpCase[] = [
  {
    name: "open port",
    port: () => portOf("open"),
    want: () => ({
      result: "ok",
      reason: null,
      detail: "connected",
      status: null,
      certExpiresAt: null,
    }),
  },
  {
    name: "slow connect degrades (latency_over)",
    port: () => portOf("open"),
    target: () => ({ degraded: { latencyOver: 0 } }),
    want: () => ({ result: "degraded", reason: "latency" }),
  },
  {
    name: "IPv6 literal with ip_family ipv4",
    host: "::1",
    port: () => portOf("open"),
    target: () => ({ probe: { ipFamily: "ipv4" } }),
    want: () => ({
      result: "failed",
      reason: "dns",
      detail: "::1 is not an IPv4 address (ip_family)",
    }),
  },
  {
    name: "NXDOMAIN",
    host: "nonexistent.invalid",
    port: () => 443,
    want: () => ({ result: "failed", reason: "dns" }),
  },
  {
    name: "TLS handshake with the custom CA",
    port: () => portOf("tls"),
    target: () => withTls(),
    want: () => ({
      result: "ok",
      detail: "connected",
      certExpiresAt: pki.valid.notAfter.getTime(),
    }),
  },
  {
    name: "TLS with an expired certificate",
    port: () => portOf("expired"),
    target: () => withTls(),
    want: () => ({
      result: "failed",
      reason: "cert_expired",
      detail: "certificate has expired (notAfter 2021-01-01T00:00:00Z)",
      certExpiresAt: EXPIRED_NOT_AFTER.getTime(),
    }),
  },
  {
    name: "TLS with a certificate expiring within cert_expires_within",
    port: () => portOf("expiringSoon"),
    target: () => withTls({ degraded: { certExpiresWithin: 14 * DAY } }),
    want: () => ({
      result: "degraded",
      reason: "cert_expiring",
      certExpiresAt: pki.expiringSoon.notAfter.getTime(),
    }),
  },
];

describe("probeTcp", () => {
  it.each(cases)("$name", async ({ host = "127.0.0.1", port, target, want }) => {
    const result = await probeTcp(tcpTarget(host, await port(), target?.()), options);
    expect(result).toMatchObject(want());
  });

  it("closed port is refused, with the address in the detail", async () => {
    const port = await unusedPort();
    const result = await probeTcp(tcpTarget("127.0.0.1", port), options);
    expect(result).toMatchObject({
      result: "failed",
      reason: "refused",
      detail: `connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it("IPv6 loopback", async (context) => {
    if (!(await ipv6LoopbackAvailable())) context.skip();
    const server = await startRawServer(acceptAndHold, { host: "::1" });
    try {
      const result = await probeTcp(
        tcpTarget("::1", server.port, { probe: { ipFamily: "ipv6" } }),
        options,
      );
      expect(result).toMatchObject({ result: "ok", detail: "connected" });
    } finally {
      await server.close();
    }
  });

  it("a TLS handshake that never comes times out, and the socket is freed", async () => {
    const server = servers.open as TestServer;
    const accepted = server.connections.length;
    const started = performance.now();
    const result = await probeTcp(
      tcpTarget("127.0.0.1", server.port, withTls({ timeout: 300 })),
      options,
    );
    const ended = performance.now();
    expect(result).toMatchObject({
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (TLS handshake)",
    });
    expect(ended - started).toBeLessThan(400);
    const closedAt = await server.connections[accepted]?.closed;
    expect((closedAt ?? Number.POSITIVE_INFINITY) - ended).toBeLessThan(100);
  });

  it("closes the connection as soon as the verdict is in", async () => {
    const server = servers.open as TestServer;
    const accepted = server.connections.length;
    const result = await probeTcp(tcpTarget("127.0.0.1", server.port), options);
    const ended = performance.now();
    expect(result.result).toBe("ok");
    const closedAt = await server.connections[accepted]?.closed;
    expect((closedAt ?? Number.POSITIVE_INFINITY) - ended).toBeLessThan(100);
  });
});

describe("sockets", () => {
  it("leaves no client socket open once every probe has returned", async () => {
    expect(await settleOpenTcpSockets(1000)).toBe(0);
    for (const server of Object.values(servers)) await server.close();
    expect(await settleOpenTcpSockets(200)).toBe(0);
  });
});
