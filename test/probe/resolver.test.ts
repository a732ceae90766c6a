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
import { until } from "../support/until.js";

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
    case "long.res.test":
      return type === "A" ? answer([record(name, "A", "127.0.0.1", 200_000)]) : answer([]);
    case "flip.res.test":
      // up or failing, as the test sets it
      return flipUp
        ? answer([record(name, "A", "127.0.0.1", 30)])
        : { answer: { rcode: "SERVFAIL" } };
    case "once.res.test":
      // the first question is lost; every later one is answered
      onceAsked++;
      return onceAsked === 1 ? { drop: true } : answer([record(name, "A", "127.0.0.1", 30)]);
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

let flipUp = true;
let onceAsked = 0;
let dns: DnsTestServer;
let web: TestServer;
/** Monotonic ms the resolvers under test see. */
let now = 0;
const clock = () => now;
/** One try of 100 ms: a silent server is judged in a tenth of a second. */
const QUICK = { timeoutMs: 100, tries: 1 };

/** Until the resolver has no question outstanding (a background refresh ended). */
const idle = (resolver: CachingResolver) =>
  until(() => resolver.load.active === 0, { what: "the resolver's questions to end" });

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
    const resolver = new CachingResolver([dns.address], clock, { ...QUICK, refreshAhead: 0 });
    const queries = countQueries("portal.res.test");
    expect(await resolver.resolve("portal.res.test", 4)).toBe("127.0.0.1");
    expect(queries()).toBe(1);
    now += 29_999; // TTL 30 s: still fresh
    expect(await resolver.resolve("portal.res.test", 4)).toBe("127.0.0.1");
    expect(queries()).toBe(1);
    now += 1; // 30 s after the answer: expired
    expect(resolver.cached("portal.res.test", 4)).toBeNull();
    expect(await resolver.resolve("portal.res.test", 4)).toBe("127.0.0.1");
    expect(queries()).toBe(2);
    expect(resolver.size).toBe(1);
  });

  it("an answer of several records lives as long as the shortest-lived one", async () => {
    now = 0;
    const resolver = new CachingResolver([dns.address], clock, { ...QUICK, refreshAhead: 0 });
    const queries = countQueries("short.res.test");
    await resolver.resolve("short.res.test", 4);
    now = 4_999;
    await resolver.resolve("short.res.test", 4);
    expect(queries()).toBe(1);
    now = 5_000;
    await resolver.resolve("short.res.test", 4);
    expect(queries()).toBe(2);
  });

  it("TTL 0 is kept for the floor of 1 s; a long TTL for the ceiling of one day", async () => {
    now = 0;
    const resolver = new CachingResolver([dns.address], clock, { ...QUICK, refreshAhead: 0 });
    await resolver.resolve("zero.res.test", 4);
    await resolver.resolve("long.res.test", 4);
    now = 999;
    expect(resolver.cached("zero.res.test", 4)).toBe("127.0.0.1");
    now = 1_000;
    expect(resolver.cached("zero.res.test", 4)).toBeNull();
    now = 86_399_999;
    expect(resolver.cached("long.res.test", 4)).toBe("127.0.0.1");
    now = 86_400_000; // TTL 200,000 s, kept one day
    expect(resolver.cached("long.res.test", 4)).toBeNull();
  });

  it("a name in use is asked again in the last tenth of its TTL, in the background", async () => {
    now = 0;
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    const queries = countQueries("portal.res.test");
    await resolver.resolve("portal.res.test", 4);
    now = 26_999; // TTL 30 s: not yet in its last 3 s
    expect(resolver.cached("portal.res.test", 4)).toBe("127.0.0.1");
    expect(resolver.load.active).toBe(0);
    now = 27_000; // served at once, and asked again beside it
    expect(resolver.cached("portal.res.test", 4)).toBe("127.0.0.1");
    expect(resolver.load.active).toBe(1);
    // a second use while the question is out asks nothing more
    expect(resolver.cached("portal.res.test", 4)).toBe("127.0.0.1");
    await idle(resolver);
    expect(queries()).toBe(2);
    now = 56_999; // the new answer lives 30 s from 27 s
    expect(resolver.cached("portal.res.test", 4)).toBe("127.0.0.1");
    await idle(resolver);
  });

  it("a failed refresh keeps the answer until its TTL ends, and no longer (nothing stale)", async () => {
    now = 0;
    flipUp = true;
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    await resolver.resolve("flip.res.test", 4);
    flipUp = false;
    now = 27_000;
    expect(resolver.cached("flip.res.test", 4)).toBe("127.0.0.1");
    await idle(resolver);
    now = 29_999;
    expect(resolver.cached("flip.res.test", 4)).toBe("127.0.0.1");
    await idle(resolver);
    now = 30_000;
    expect(resolver.cached("flip.res.test", 4)).toBeNull();
    expect(await failureOf(resolver.resolve("flip.res.test", 4))).toEqual({
      reason: "dns",
      detail: "A flip.res.test: server failure (SERVFAIL)",
    });
    flipUp = true;
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

describe("CachingResolver: questions to the servers", () => {
  it("asks once more after a timeout, and only after one", async () => {
    onceAsked = 0;
    const resolver = new CachingResolver([dns.address], clock, { ...QUICK, tries: 2 });
    expect(await resolver.resolve("once.res.test", 4)).toBe("127.0.0.1");
    expect(onceAsked).toBe(2);
    const nx = countQueries("nx.res.test");
    await failureOf(resolver.resolve("nx.res.test", 4));
    expect(nx()).toBe(1);
  });

  it("with one try, a lost question is a failure", async () => {
    onceAsked = 0;
    const resolver = new CachingResolver([dns.address], clock, QUICK);
    expect(await failureOf(resolver.resolve("once.res.test", 4))).toEqual({
      reason: "dns",
      detail: "A once.res.test: no answer from the resolver",
    });
  });

  it("at most maxQueries questions are out at once; the next waits its turn", async () => {
    const resolver = new CachingResolver([dns.address], clock, { ...QUICK, maxQueries: 1 });
    const silent = countQueries("silent.res.test");
    const portal = countQueries("portal.res.test");
    const first = failureOf(resolver.resolve("silent.res.test", 4));
    const second = resolver.resolve("portal.res.test", 4);
    expect(resolver.load).toEqual({ active: 1, waiting: 1 });
    await until(() => silent() === 1, { what: "the server to see the first question" });
    expect(portal()).toBe(0);
    expect(await first).toMatchObject({ reason: "dns" });
    expect(await second).toBe("127.0.0.1");
    expect(portal()).toBe(1);
    expect(resolver.load).toEqual({ active: 0, waiting: 0 });
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

  it("a name already cached is not looked up: no resolve phase, as for an IP literal", async () => {
    const target = { ...httpTarget(`http://portal.res.test:${web.port}/`), resolver: resolver() };
    await probeHttp(target, { clock: systemClock });
    const again = await probeHttp(target, { clock: systemClock });
    expect(again).toMatchObject({ result: "ok", status: 200 });
    expect(again.phases.resolve).toBe(0);
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
