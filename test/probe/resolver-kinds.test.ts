/**
 * `global.resolver` for the names the `dns` and `grpc` kinds look up themselves: a `dns` block's
 * `server` given by name, a `grpc` block's `host`. The names live only in a loopback DNS server
 * (dns-packet) that the probes' resolver asks, and the system's `dns.lookup` is watched: a probe
 * that reaches its server by such a name, with no system lookup, went through pantau's resolver.
 * Failures read as the HTTP prober's; without global.resolver the system's lookup is used as before.
 */
import type { LookupAddress, LookupOptions } from "node:dns";
import type { Answer, Packet } from "dns-packet";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { type DnsProbeSpec, dnsKind, probeDns } from "../../src/probe/dns.js";
import { DNS_FAMILIES } from "../../src/probe/dns-families.js";
import { type GrpcProbeSpec, grpcKind, probeGrpc } from "../../src/probe/grpc.js";
import { GRPC_FAMILIES } from "../../src/probe/grpc-families.js";
import type { ResultFamily } from "../../src/probe/kind.js";
import { probeTarget } from "../../src/probe/registry.js";
import type { ProbeResult, ProbeTarget } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import {
  type Behaviour,
  type DnsTestServer,
  startDnsServer,
} from "../support/servers/dns-server.js";
import {
  type HealthServer,
  SERVING,
  startHealthServer,
} from "../support/servers/grpc-health-server.js";
import { ipv6LoopbackAvailable } from "../support/servers/loopback.js";
import { DEFAULT_EXPECT, NO_DEGRADED_RULES } from "../support/targets.js";
import { type TestPki, testPki } from "../support/tls-certs.js";

/** Every host the system's lookup was asked for, in this file. */
const system = vi.hoisted(() => ({ lookups: [] as string[] }));

vi.mock("node:dns/promises", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:dns/promises")>();
  const lookup = (host: string, options: LookupOptions): Promise<LookupAddress> => {
    system.lookups.push(host);
    return original.lookup(host, { ...options, all: false });
  };
  return { ...original, lookup, default: { ...original, lookup } };
});

const options = { clock: systemClock };

const a = (name: string, ttl = 30): Answer => ({
  name,
  type: "A",
  class: "IN",
  ttl,
  data: "127.0.0.1",
});

/** The zone only the loopback resolver knows: names under `kinds.test`. */
function zone(query: Packet): Behaviour {
  const question = query.questions?.[0];
  const name = question?.name ?? "";
  if (name === "servfail.kinds.test") return { answer: { rcode: "SERVFAIL" } };
  if (name === "silent.kinds.test") return { drop: true };
  if (!name.endsWith(".kinds.test") || name.startsWith("nx")) {
    return { answer: { rcode: "NXDOMAIN" } };
  }
  if (name.startsWith("v6")) {
    const aaaa: Answer = { name, type: "AAAA", class: "IN", ttl: 30, data: "::1" };
    return { answer: { answers: question?.type === "AAAA" ? [aaaa] : [] } };
  }
  return { answer: { answers: question?.type === "A" ? [a(name)] : [] } };
}

let resolver: DnsTestServer;
/** The DNS server the `dns` probes ask (the zoo: `ok.zoo.example` has one A record). */
let zoo: DnsTestServer;
let health: HealthServer;
let tlsHealth: HealthServer;
let pki: TestPki;

beforeAll(async () => {
  pki = testPki();
  resolver = await startDnsServer({ behaviour: zone });
  zoo = await startDnsServer();
  health = await startHealthServer({ services: { "": SERVING } });
  tlsHealth = await startHealthServer({ services: { "": SERVING }, tls: pki.valid });
});

afterAll(async () => {
  for (const server of [resolver, zoo, health, tlsHealth]) await server.close();
});

beforeEach(() => {
  system.lookups.length = 0;
});

const servers = () => [resolver.address];

/** Questions the loopback resolver saw for `name` from now on. */
function askedFor(name: string): () => string[] {
  const before = resolver.queries.length;
  return () =>
    resolver.queries
      .slice(before)
      .filter((query) => query.name === name)
      .map((query) => query.type);
}

/** A `dns` target asking `server` (by name, as written) for ok.zoo.example, through the resolver. */
function dnsTarget(
  server: string,
  more: Partial<ProbeTarget<DnsProbeSpec>> = {},
  block: Record<string, unknown> = {},
): ProbeTarget<DnsProbeSpec> {
  return {
    probe: dnsKind.resolve(dnsKind.block.parse({ server, query_name: "ok.zoo.example", ...block })),
    timeout: 2000,
    expect: DEFAULT_EXPECT,
    degraded: NO_DEGRADED_RULES,
    resolver: servers(),
    ...more,
  };
}

/** A `grpc` target of the block as written, through the resolver. */
function grpcTarget(
  block: Record<string, unknown>,
  more: Partial<ProbeTarget<GrpcProbeSpec>> = {},
): ProbeTarget<GrpcProbeSpec> {
  return {
    probe: grpcKind.resolve(grpcKind.block.parse(block)),
    timeout: 2000,
    expect: DEFAULT_EXPECT,
    degraded: NO_DEGRADED_RULES,
    resolver: servers(),
    ...more,
  };
}

/** The value of one series of a kind's family, as the metrics page shows it. */
function seriesValue(
  families: readonly ResultFamily[],
  name: string,
  labels: string,
  result: ProbeResult,
): number | undefined {
  const family = families.find((candidate) => candidate.name === name);
  return family?.series.find((series) => series.labels === labels)?.value(result);
}

describe("dns: the server's own name through global.resolver", () => {
  it("reaches the server at the address the loopback resolver gave, no system lookup", async () => {
    const asked = askedFor("ns1.kinds.test");
    const before = zoo.queries.length;
    const result = await probeDns(dnsTarget(`ns1.kinds.test:${zoo.port}`), options);
    expect(result).toMatchObject({
      result: "ok",
      detail: "NOERROR: 1 answer, 0 authority, 0 additional (UDP)",
    });
    expect(zoo.queries.slice(before).map((query) => query.name)).toEqual(["ok.zoo.example"]);
    expect(asked()).toEqual(["A"]);
    expect(system.lookups).toEqual([]);
    // probe_dns_lookup_time_seconds is the resolve phase, as for an HTTP target's name
    expect(result.phases.resolve).toBeGreaterThan(0);
    const lookupTime = seriesValue(DNS_FAMILIES, "probe_dns_lookup_time_seconds", "", result);
    expect(lookupTime).toBe(result.phases.resolve / 1000);
  });

  it("a name already cached is not looked up: no resolve phase, as for an IP literal", async () => {
    const target = dnsTarget(`ns2.kinds.test:${zoo.port}`);
    await probeDns(target, options);
    const asked = askedFor("ns2.kinds.test");
    const again = await probeDns(target, options);
    expect(again).toMatchObject({ result: "ok" });
    expect(again.phases.resolve).toBe(0);
    expect(asked()).toEqual([]);
    expect(system.lookups).toEqual([]);
  });

  it.each([
    ["nx.kinds.test", "A nx.kinds.test: no such name (NXDOMAIN)"],
    ["servfail.kinds.test", "A servfail.kinds.test: server failure (SERVFAIL)"],
  ])("%s: reason dns, the resolver's answer in words", async (name, detail) => {
    const result = await probeDns(dnsTarget(`${name}:${zoo.port}`), options);
    expect(result).toMatchObject({ result: "failed", reason: "dns", detail });
    expect(system.lookups).toEqual([]);
  });

  it("a resolver that never answers: the probe's timeout, in the resolving phase", async () => {
    const result = await probeDns(
      dnsTarget(`silent.kinds.test:${zoo.port}`, { timeout: 300 }),
      options,
    );
    expect(result).toMatchObject({
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (resolving)",
    });
  });
});

describe("grpc: the host through global.resolver", () => {
  it("reaches the server at the address the loopback resolver gave, no system lookup", async () => {
    const asked = askedFor("simkim.kinds.test");
    const calls = health.asked.length;
    const result = await probeGrpc(
      grpcTarget({ host: "simkim.kinds.test", port: health.port }),
      options,
    );
    expect(result).toMatchObject({ result: "ok", detail: "SERVING" });
    expect(health.asked.length).toBe(calls + 1);
    expect(asked()).toEqual(["A"]);
    expect(system.lookups).toEqual([]);
    expect(result.phases.resolve).toBeGreaterThan(0);
    const resolveTime = seriesValue(
      GRPC_FAMILIES,
      "probe_grpc_duration_seconds",
      ',phase="resolve"',
      result,
    );
    expect(resolveTime).toBe(result.phases.resolve / 1000);
  });

  it("over TLS: dialled at the resolved address, the certificate judged for server_name", async () => {
    const result = await probeGrpc(
      grpcTarget({
        host: "tls.kinds.test",
        port: tlsHealth.port,
        tls: true,
        tls_config: { ca_file: pki.caFile, server_name: "localhost" },
      }),
      options,
    );
    expect(result).toMatchObject({ result: "ok", detail: "SERVING" });
    expect(system.lookups).toEqual([]);
  });

  it("a name with only an AAAA record: dialled at its IPv6 address under ip_family any", async (context) => {
    if (!(await ipv6LoopbackAvailable())) context.skip();
    const v6 = await startHealthServer({ services: { "": SERVING }, host: "::1" });
    try {
      const asked = askedFor("v6.kinds.test");
      const result = await probeGrpc(grpcTarget({ host: "v6.kinds.test", port: v6.port }), options);
      expect(result).toMatchObject({ result: "ok", detail: "SERVING" });
      expect(v6.peers).toEqual(["::1"]);
      expect(asked()).toEqual(["A", "AAAA"]);
    } finally {
      await v6.close();
    }
  });

  it("a name already cached is not looked up: no resolve phase", async () => {
    const target = grpcTarget({ host: "cached.kinds.test", port: health.port });
    await probeGrpc(target, options);
    const again = await probeGrpc(target, options);
    expect(again).toMatchObject({ result: "ok" });
    expect(again.phases.resolve).toBe(0);
  });

  it.each([
    ["nx.kinds.test", "A nx.kinds.test: no such name (NXDOMAIN)"],
    ["servfail.kinds.test", "A servfail.kinds.test: server failure (SERVFAIL)"],
  ])("%s: reason dns, the resolver's answer in words", async (host, detail) => {
    const result = await probeGrpc(grpcTarget({ host, port: health.port }), options);
    expect(result).toMatchObject({ result: "failed", reason: "dns", detail });
    expect(result.figures).toEqual({ kind: "grpc", statusCode: 14, servingStatus: null });
    expect(system.lookups).toEqual([]);
  });

  it("a resolver that never answers: the probe's timeout, in the resolving phase", async () => {
    const result = await probeGrpc(
      grpcTarget({ host: "silent.kinds.test", port: health.port }, { timeout: 300 }),
      options,
    );
    expect(result).toMatchObject({
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (resolving)",
    });
  });
});

it("dns and grpc: a resolver that never answers, within a long timeout: its own two tries", async () => {
  // two tries of c-ares' timeout (1 s at first, then 5 × the latency it measured, at most 5 s)
  const [dns, grpc] = await Promise.all([
    probeDns(dnsTarget(`silent.kinds.test:${zoo.port}`, { timeout: 15_000 }), options),
    probeGrpc(
      grpcTarget({ host: "silent.kinds.test", port: health.port }, { timeout: 15_000 }),
      options,
    ),
  ]);
  const failure = {
    result: "failed",
    reason: "dns",
    detail: "A silent.kinds.test: no answer from the resolver",
  };
  expect(dns).toMatchObject(failure);
  expect(grpc).toMatchObject(failure);
  expect(system.lookups).toEqual([]);
});

it("from the configuration: global.resolver reaches dns and grpc targets as written", async () => {
  const yaml = [
    `global: { resolver: "${resolver.address}" }`,
    "targets:",
    `  - { id: ns, dns: { server: "config-ns.kinds.test:${zoo.port}", query_name: ok.zoo.example } }`,
    `  - { id: core, grpc: { host: config-core.kinds.test, port: ${health.port} } }`,
    "",
  ].join("\n");
  const loaded = parseConfig(yaml, "pantau.yaml", {}, { hostname: "test" });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  const results = await Promise.all(
    loaded.config.targets.map((target) => probeTarget(target, options)),
  );
  expect(results.map(({ result, detail }) => ({ result, detail }))).toEqual([
    { result: "ok", detail: "NOERROR: 1 answer, 0 authority, 0 additional (UDP)" },
    { result: "ok", detail: "SERVING" },
  ]);
  expect(system.lookups).toEqual([]);
});

describe("without global.resolver: the system's lookup, as before", () => {
  it("dns: a server named localhost is looked up by the system", async () => {
    const result = await probeDns(
      dnsTarget(`localhost:${zoo.port}`, { resolver: null }, { ip_family: "ipv4" }),
      options,
    );
    expect(result).toMatchObject({ result: "ok" });
    expect(system.lookups).toEqual(["localhost"]);
    expect(result.phases.resolve).toBeGreaterThan(0);
  });

  it("grpc: host localhost is looked up by the system", async () => {
    const result = await probeGrpc(
      grpcTarget({ host: "localhost", port: health.port, ip_family: "ipv4" }, { resolver: null }),
      options,
    );
    expect(result).toMatchObject({ result: "ok", detail: "SERVING" });
    expect(system.lookups).toEqual(["localhost"]);
  });

  it("an IP literal is looked up by nobody, with or without global.resolver", async () => {
    const before = resolver.queries.length;
    for (const resolverServers of [null, servers()]) {
      const dns = await probeDns(
        dnsTarget(`127.0.0.1:${zoo.port}`, { resolver: resolverServers }),
        options,
      );
      const grpc = await probeGrpc(
        grpcTarget({ host: "127.0.0.1", port: health.port }, { resolver: resolverServers }),
        options,
      );
      expect([dns.result, grpc.result]).toEqual(["ok", "ok"]);
      expect([dns.phases.resolve, grpc.phases.resolve]).toEqual([0, 0]);
    }
    expect(system.lookups).toEqual([]);
    expect(resolver.queries.length).toBe(before);
  });
});
