/**
 * probeDns against a real loopback DNS server written for the test (UDP and TCP on one port):
 * blackbox_exporter's `dns` module verdicts, with the exact reason and detail of each outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DnsProbeSpec, dnsKind, probeDns } from "../../src/probe/dns.js";
import type { DnsFigures, ProbeResult, ProbeTarget } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import { type DnsTestServer, startDnsServer } from "../support/servers/dns-server.js";
import { unusedPort } from "../support/servers/loopback.js";
import { DEFAULT_EXPECT, NO_DEGRADED_RULES } from "../support/targets.js";

const options = { clock: systemClock };

let server: DnsTestServer;
let tcpClosed: DnsTestServer;

beforeAll(async () => {
  server = await startDnsServer();
  tcpClosed = await startDnsServer({ tcp: false });
});

afterAll(async () => {
  await server.close();
  await tcpClosed.close();
});

/** A DNS target as the config makes it: the `dns:` block as written, through the kind's resolve. */
function dnsTarget(
  block: Record<string, unknown>,
  more: Partial<ProbeTarget<DnsProbeSpec>> = {},
): ProbeTarget<DnsProbeSpec> {
  return {
    probe: dnsKind.resolve(dnsKind.block.parse({ server: server.address, ...block })),
    timeout: 2000,
    expect: DEFAULT_EXPECT,
    degraded: NO_DEGRADED_RULES,
    ...more,
  };
}

const figures = (more: Partial<DnsFigures>): DnsFigures => ({
  kind: "dns",
  rcode: "NOERROR",
  answerRrs: 0,
  authorityRrs: 0,
  additionalRrs: 0,
  transport: "udp",
  truncated: false,
  ...more,
});

const noAnswer = figures({ rcode: null, transport: null });

interface DnsCase {
  name: string;
  block: Record<string, unknown>;
  /** The test server's address by default. */
  server?: () => string;
  timeout?: number;
  want: () => Partial<ProbeResult>;
  /** The transports of the queries the server saw, in order. */
  asked?: string[];
}

const cases: DnsCase[] = [
  {
    name: "NOERROR with an answer",
    block: { query_name: "ok.zoo.example" },
    want: () => ({
      result: "ok",
      reason: null,
      detail: "NOERROR: 1 answer, 0 authority, 0 additional (UDP)",
      figures: figures({ answerRrs: 1 }),
    }),
    asked: ["udp"],
  },
  {
    name: "NXDOMAIN",
    block: { query_name: "nx.zoo.example" },
    want: () => ({
      result: "failed",
      reason: "rcode",
      detail: "rcode NXDOMAIN not in NOERROR",
      figures: figures({ rcode: "NXDOMAIN", authorityRrs: 1 }),
    }),
  },
  {
    name: "NXDOMAIN expected (valid_rcodes)",
    block: { query_name: "nx.zoo.example", valid_rcodes: ["NXDOMAIN"] },
    want: () => ({ result: "ok", detail: "NXDOMAIN: 0 answer, 1 authority, 0 additional (UDP)" }),
  },
  {
    name: "SERVFAIL",
    block: { query_name: "servfail.zoo.example" },
    want: () => ({ result: "failed", reason: "rcode", detail: "rcode SERVFAIL not in NOERROR" }),
  },
  {
    name: "REFUSED, with two valid rcodes",
    block: { query_name: "refused.zoo.example", valid_rcodes: ["NOERROR", "NXDOMAIN"] },
    want: () => ({
      result: "failed",
      reason: "rcode",
      detail: "rcode REFUSED not in NOERROR, NXDOMAIN",
      figures: figures({ rcode: "REFUSED" }),
    }),
  },
  {
    name: "no answer passes without record rules, as in blackbox_exporter",
    block: { query_name: "nodata.zoo.example" },
    want: () => ({ result: "ok", detail: "NOERROR: 0 answer, 1 authority, 0 additional (UDP)" }),
  },
  {
    name: "no answer fails fail_if_none_matches_regexp",
    block: {
      query_name: "nodata.zoo.example",
      validate_answer_rrs: { fail_if_none_matches_regexp: ["192\\.0\\.2\\.10$"] },
    },
    want: () => ({
      result: "failed",
      reason: "records",
      detail: "answer: no records to match /192\\.0\\.2\\.10$/ (fail_if_none_matches_regexp)",
      figures: figures({ authorityRrs: 1 }),
    }),
  },
  {
    name: "wrong answer fails fail_if_not_matches_regexp",
    block: {
      query_name: "ok.zoo.example",
      validate_answer_rrs: { fail_if_not_matches_regexp: ["\tA\t192\\.0\\.2\\.99$"] },
    },
    want: () => ({
      result: "failed",
      reason: "records",
      detail:
        "answer: ok.zoo.example. 300 IN A 192.0.2.10 does not match /\tA\t192\\.0\\.2\\.99$/ (fail_if_not_matches_regexp)",
    }),
  },
  {
    name: "the right answer passes fail_if_not_matches_regexp",
    block: {
      query_name: "ok.zoo.example",
      validate_answer_rrs: {
        fail_if_not_matches_regexp: ["^ok\\.zoo\\.example\\.\t300\tIN\tA\t192\\.0\\.2\\.10$"],
      },
    },
    want: () => ({ result: "ok" }),
  },
  {
    name: "authority records are judged by validate_authority_rrs",
    block: {
      query_name: "nx.zoo.example",
      valid_rcodes: ["NXDOMAIN"],
      validate_authority_rrs: { fail_if_matches_regexp: ["\tSOA\t"] },
    },
    want: () => ({
      result: "failed",
      reason: "records",
      detail:
        "authority: zoo.example. 300 IN SOA ns.zoo.example. hostmaster.zoo.example. 2024062001 3600 600 86400 300 matches /\tSOA\t/ (fail_if_matches_regexp)",
    }),
  },
  {
    name: "additional records are judged by validate_additional_rrs",
    block: {
      query_name: "ok.zoo.example",
      validate_additional_rrs: { fail_if_none_matches_regexp: ["."] },
    },
    want: () => ({
      result: "failed",
      reason: "records",
      detail: "additional: no records to match /./ (fail_if_none_matches_regexp)",
    }),
  },
  {
    name: "a server that never answers times out over UDP",
    block: { query_name: "hang.zoo.example" },
    timeout: 300,
    want: () => ({
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (waiting for the answer over UDP)",
      figures: noAnswer,
    }),
  },
  {
    name: "a truncated UDP answer is asked again over TCP",
    block: {
      query_name: "big.zoo.example",
      validate_answer_rrs: { fail_if_none_matches_regexp: ["\t192\\.0\\.2\\.40$"] },
    },
    want: () => ({
      result: "ok",
      detail: "NOERROR: 40 answer, 0 authority, 0 additional (TCP after a truncated UDP answer)",
      figures: figures({ answerRrs: 40, transport: "tcp", truncated: true }),
    }),
    asked: ["udp", "tcp"],
  },
  {
    name: "truncated, then TCP never answers",
    block: { query_name: "big-tcp-hang.zoo.example" },
    timeout: 300,
    want: () => ({
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (waiting for the answer over TCP)",
      figures: { ...noAnswer, truncated: true },
    }),
    asked: ["udp", "tcp"],
  },
  {
    name: "truncated, then TCP closes without answering",
    block: { query_name: "big-tcp-close.zoo.example" },
    want: () => ({
      result: "failed",
      reason: "reset",
      detail:
        "answer truncated over UDP; over TCP: connection closed before a whole answer over TCP",
    }),
  },
  {
    name: "truncated, then TCP is refused",
    block: { query_name: "big.zoo.example" },
    server: () => tcpClosed.address,
    want: () => ({
      result: "failed",
      reason: "refused",
      detail: `answer truncated over UDP; over TCP: connect ECONNREFUSED ${tcpClosed.address}`,
    }),
  },
  {
    name: "transport: tcp asks over TCP only",
    block: { query_name: "ok.zoo.example", transport: "tcp" },
    want: () => ({
      result: "ok",
      detail: "NOERROR: 1 answer, 0 authority, 0 additional (TCP)",
      figures: figures({ answerRrs: 1, transport: "tcp" }),
    }),
    asked: ["tcp"],
  },
  {
    name: "a malformed answer",
    block: { query_name: "garbage.zoo.example" },
    want: () => ({
      result: "failed",
      reason: "protocol",
      detail: "malformed DNS answer over UDP (Header must be 12 bytes)",
    }),
  },
  {
    name: "an answer with another id",
    block: { query_name: "wrong-id.zoo.example" },
    want: () => ({ result: "failed", reason: "protocol", figures: noAnswer }),
  },
  {
    name: "an IPv4 server with ip_family ipv6",
    block: { query_name: "ok.zoo.example", ip_family: "ipv6" },
    want: () => ({
      result: "failed",
      reason: "dns",
      detail: "127.0.0.1 is not an IPv6 address (ip_family)",
    }),
    asked: [],
  },
];

describe("probeDns", () => {
  it.each(cases)("$name", async ({ block, server: address, timeout, want, asked }) => {
    const before = server.queries.length;
    const target = dnsTarget(
      { ...block, server: address?.() ?? server.address },
      { timeout: timeout ?? 2000 },
    );
    const result = await probeDns(target, options);
    expect(result).toMatchObject(want());
    if (asked) expect(server.queries.slice(before).map((q) => q.transport)).toEqual(asked);
  });

  it("names the other id of a wrong answer in the detail", async () => {
    const result = await probeDns(dnsTarget({ query_name: "wrong-id.zoo.example" }), options);
    const ids = /^not an answer to the query over UDP \(id (\d+), qr 1; asked id (\d+)\)$/.exec(
      result.detail,
    );
    expect(ids, result.detail).not.toBeNull();
    expect(Number(ids?.[1])).toBe((Number(ids?.[2]) + 1) % 65_536);
  });

  it("asks for the type, with or without recursion desired", async () => {
    const before = server.queries.length;
    await probeDns(dnsTarget({ query_name: "records.zoo.example", query_type: "MX" }), options);
    await probeDns(
      dnsTarget({ query_name: "records.zoo.example", recursion_desired: false }),
      options,
    );
    expect(server.queries.slice(before)).toEqual([
      { transport: "udp", name: "records.zoo.example", type: "MX", recursionDesired: true },
      { transport: "udp", name: "records.zoo.example", type: "A", recursionDesired: false },
    ]);
  });

  it("a closed UDP port is refused", async () => {
    const port = await unusedPort();
    const result = await probeDns(
      dnsTarget({ query_name: "ok.zoo.example", server: `127.0.0.1:${port}` }),
      options,
    );
    expect(result).toMatchObject({
      result: "failed",
      reason: "refused",
      detail: `nothing answers on UDP 127.0.0.1:${port} (ECONNREFUSED)`,
      figures: noAnswer,
    });
  });

  it("looks the server's own name up, timed as the resolve phase", async () => {
    const result = await probeDns(
      dnsTarget({
        query_name: "ok.zoo.example",
        server: `localhost:${server.port}`,
        ip_family: "ipv4",
      }),
      options,
    );
    expect(result).toMatchObject({ result: "ok", figures: figures({ answerRrs: 1 }) });
    expect(result.phases.resolve).toBeGreaterThan(0);
  });

  it("degrades on latency_over once the answer passed", async () => {
    const target = dnsTarget(
      { query_name: "ok.zoo.example" },
      { degraded: { ...NO_DEGRADED_RULES, latencyOver: 0 } },
    );
    expect(await probeDns(target, options)).toMatchObject({
      result: "degraded",
      reason: "latency",
    });
  });

  it("frees its UDP socket when the deadline fires", async () => {
    const udpSockets = () =>
      process.getActiveResourcesInfo().filter((name) => name === "UDPWrap").length;
    const before = udpSockets();
    const started = performance.now();
    const result = await probeDns(
      dnsTarget({ query_name: "hang.zoo.example" }, { timeout: 200 }),
      options,
    );
    expect(result.reason).toBe("timeout");
    expect(performance.now() - started).toBeLessThan(400);
    // close() hands the socket back on the next turn of the loop
    await new Promise((resolve) => setImmediate(resolve));
    expect(udpSockets()).toBe(before);
  });
});
