/**
 * `global.resolver`: pantau's own caching resolver against a loopback DNS server (dns-packet),
 * its clock injected. An answer is kept for its TTL and asked again after it; concurrent
 * lookups share one query; failures are not kept; NXDOMAIN, SERVFAIL, REFUSED, no record and
 * no answer each have their reason. Then whole probes by name through it.
 */
import type { Answer, Packet } from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProbeFailure } from "../../src/probe/failure.js";
import { probeHttp } from "../../src/probe/http.js";
import { CachingResolver } from "../../src/probe/resolver.js";
import { probeTcp } from "../../src/probe/tcp.js";
import { systemClock } from "../../src/time/clock.js";
import {
  type Behaviour,
  type DnsTestServer,
  startDnsServer,
} from "../support/servers/dns-server.js";
import { startHttpServer, type TestServer } from "../support/servers/loopback.js";
import { httpTarget, tcpTarget } from "../support/targets.js";

const record = (name: string, type: "A" | "AAAA", data: string, ttl: number): Answer => ({
  name,
  type,
  class: "IN",
  ttl,
  data,
});

/** The zone: names under `res.test`, one behaviour each. */
function zone(query: Packet): Behaviour {
  const question = query.questions?.[0];
  const name = question?.name ?? "";
  const type = question?.type;
  const answer = (answers: Answer[]) => ({ answer: { answers } });
  switch (name) {
    case "portal.res.test":
      return type === "A" ? answer([record(name, "A", "127.0.0.1", 30)]) : answer([]);
    case "short.res.test":
      // two records: the answer lives as long as the shorter one
      return type === "A"
        ? answer([record(name, "A", "127.0.0.1", 60), record(name, "A", "127.0.0.1", 5)])
        : answer([]);
    case "zero.res.test":
      return type === "A" ? answer([record(name, "A", "127.0.0.1", 0)]) : answer([]);
    case "v6only.res.test":
      return type === "AAAA" ? answer([record(name, "AAAA", "::1", 30)]) : answer([]);
    case "servfail.res.test":
      return { answer: { rcode: "SERVFAIL" } };
    case "refused.res.test":
      return { answer: { rcode: "REFUSED" } };
    case "silent.res.test":
      return { drop: true };
    default:
      return { answer: { rcode: "NXDOMAIN" } };
  }
}

let dns: DnsTestServer;
let web: TestServer;
/** Monotonic ms the resolvers under test see. */
let now = 0;
const clock = () => now;
/** One try of 100 ms: a silent server is judged in a tenth of a second. */
const QUICK = { timeoutMs: 100, tries: 1 };

beforeAll(async () => {
  dns = await startDnsServer({ behaviour: zone });
  web = await startHttpServer((_request, response) => response.end("ok"));
});

afterAll(async () => {
  await dns.close();
  await web.close();
});

/** Queries the server saw for `name` from now on. */
function countQueries(name: string): () => number {
  const before = dns.queries.length;
  return () => dns.queries.slice(before).filter((query) => query.name === name).length;
}

async function failureOf(promise: Promise<unknown>): Promise<{ reason: string; detail: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProbeFailure) return { reason: error.reason, detail: error.detail };
    throw error;
  }
  throw new Error("resolved");
}

describe("CachingResolver: the cache", () => {
  it("keeps an answer for its TTL and asks again once it has passed", async () => {
    now = 1_000;
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    const queries = countQueries("portal.res.test");
    expect(await resolver.resolve("portal.res.test", 4)).toBe("127.0.0.1");
    expect(queries()).toBe(1);
    now += 29_999; // TTL 30 s: still fresh
    expect(await resolver.resolve("portal.res.test", 4)).toBe("127.0.0.1");
    expect(queries()).toBe(1);
    now += 1; // 30 s after the answer: expired
    expect(await resolver.resolve("portal.res.test", 4)).toBe("127.0.0.1");
    expect(queries()).toBe(2);
    expect(resolver.size).toBe(1);
  });

  it("an answer of several records lives as long as the shortest-lived one", async () => {
    now = 0;
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    const queries = countQueries("short.res.test");
    await resolver.resolve("short.res.test", 4);
    now = 4_999;
    await resolver.resolve("short.res.test", 4);
    expect(queries()).toBe(1);
    now = 5_000;
    await resolver.resolve("short.res.test", 4);
    expect(queries()).toBe(2);
  });

  it("TTL 0 is never kept", async () => {
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    const queries = countQueries("zero.res.test");
    await resolver.resolve("zero.res.test", 4);
    await resolver.resolve("zero.res.test", 4);
    expect(queries()).toBe(2);
    expect(resolver.size).toBe(0);
  });

  it("concurrent lookups of one name share one query", async () => {
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    const queries = countQueries("portal.res.test");
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => resolver.resolve("portal.res.test", 4)),
    );
    expect(new Set(answers)).toEqual(new Set(["127.0.0.1"]));
    expect(queries()).toBe(1);
  });

  it("families are cached apart; `any` takes AAAA when the name has no A record", async () => {
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    expect(await resolver.resolve("v6only.res.test", 0)).toBe("::1");
    expect(await resolver.resolve("v6only.res.test", 6)).toBe("::1");
    expect(resolver.size).toBe(2);
  });

  it("a failure is not kept: the next lookup asks again", async () => {
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    const queries = countQueries("nx.res.test");
    await failureOf(resolver.resolve("nx.res.test", 4));
    await failureOf(resolver.resolve("nx.res.test", 4));
    expect(queries()).toBe(2);
    expect(resolver.size).toBe(0);
  });
});

describe("CachingResolver: failures, reason dns", () => {
  it.each([
    ["nx.res.test", 4, "A nx.res.test: no such name (NXDOMAIN)"],
    ["servfail.res.test", 4, "A servfail.res.test: server failure (SERVFAIL)"],
    ["refused.res.test", 4, "A refused.res.test: query refused (REFUSED)"],
    ["portal.res.test", 6, "AAAA portal.res.test: no record of that type"],
    ["silent.res.test", 4, "A silent.res.test: no answer from the resolver"],
  ] as const)("%s (IPv%s): %s", async (name, family, detail) => {
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    expect(await failureOf(resolver.resolve(name, family))).toEqual({ reason: "dns", detail });
  });
});

describe("probes by name through global.resolver", () => {
  const resolver = () => [dns.address];

  it("HTTP: the name resolves to the loopback server, timed into the resolve phase", async () => {
    const result = await probeHttp(
      { ...httpTarget(`http://portal.res.test:${web.port}/`), resolver: resolver() },
      { clock: systemClock },
    );
    expect(result).toMatchObject({ result: "ok", status: 200 });
    expect(result.phases.resolve).toBeGreaterThan(0);
  });

  it("TCP: NXDOMAIN is a dns failure, the name in the detail", async () => {
    const result = await probeTcp(
      { ...tcpTarget("nx.res.test", web.port), resolver: resolver() },
      { clock: systemClock },
    );
    expect(result).toMatchObject({
      result: "failed",
      reason: "dns",
      detail: "A nx.res.test: no such name (NXDOMAIN)",
    });
  });

  it("a resolver that never answers: the probe's timeout, in the resolving phase", async () => {
    const result = await probeHttp(
      {
        ...httpTarget(`http://silent.res.test:${web.port}/`, { timeout: 300 }),
        resolver: resolver(),
      },
      { clock: systemClock },
    );
    expect(result).toMatchObject({
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (resolving)",
    });
  });
});
