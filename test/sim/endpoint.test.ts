import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { Behaviour } from "../../src/sim/behaviour.js";
import { SimEndpoint } from "../../src/sim/endpoint.js";
import type { EndpointKind } from "../../src/sim/plan.js";
import { settleOpenTcpSockets } from "../support/socket-leaks.js";
import { FakeTime } from "../support/time.js";
import { until } from "../support/until.js";
import { type Got, get } from "./http-get.js";

const opened: SimEndpoint[] = [];

async function start(
  kind: EndpointKind,
  behaviour?: Behaviour,
  timers?: FakeTime,
): Promise<SimEndpoint> {
  const endpoint = await SimEndpoint.start({
    id: `test-${kind}`,
    kind,
    ...(behaviour ? { behaviour } : {}),
    ...(timers ? { timers } : {}),
  });
  opened.push(endpoint);
  return endpoint;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((endpoint) => endpoint.close()));
  expect(await settleOpenTcpSockets()).toBe(0);
});

const JSON_TYPE = "application/json";
const HTML_TYPE = "text/html; charset=utf-8";
const PORTAL_OK = "<!doctype html><title>Portal Imigrasi</title><p>ok</p>\n";
const PORTAL_MANUAL = "<!doctype html><title>Portal Imigrasi</title><p>manual mode</p>\n";

const answered = (status: number, body: string, contentType = JSON_TYPE, kind = "autogate") => ({
  status,
  body,
  contentType,
  endpoint: `test-${kind}`,
});

describe("SimEndpoint answers", () => {
  const manual: Behaviour = { behaviour: "degraded", mode: "manual" };
  const unavailable: Behaviour = { behaviour: "down", mode: "503" };
  it.each<[string, EndpointKind, Behaviour, Got]>([
    [
      "up autogate",
      "autogate",
      { behaviour: "up" },
      answered(200, '{"status":"ok","mode":"auto"}'),
    ],
    ["up core", "core", { behaviour: "up" }, answered(200, '{"status":"ok"}', JSON_TYPE, "core")],
    [
      "up service",
      "service",
      { behaviour: "up" },
      answered(200, '{"status":"ok"}', JSON_TYPE, "service"),
    ],
    [
      "up generic",
      "generic",
      { behaviour: "up" },
      answered(200, '{"status":"ok"}', JSON_TYPE, "generic"),
    ],
    ["up portal", "portal", { behaviour: "up" }, answered(200, PORTAL_OK, HTML_TYPE, "portal")],
    ["manual autogate", "autogate", manual, answered(200, '{"status":"ok","mode":"manual"}')],
    [
      "manual service",
      "service",
      manual,
      answered(200, '{"status":"ok","mode":"manual"}', JSON_TYPE, "service"),
    ],
    ["manual portal", "portal", manual, answered(200, PORTAL_MANUAL, HTML_TYPE, "portal")],
    ["503 autogate", "autogate", unavailable, answered(503, '{"status":"unavailable"}')],
    [
      "503 portal",
      "portal",
      unavailable,
      answered(503, '{"status":"unavailable"}', JSON_TYPE, "portal"),
    ],
    ["refused", "autogate", { behaviour: "down", mode: "refused" }, { error: "ECONNREFUSED" }],
  ])("%s", async (_name, kind, behaviour, expected) => {
    const endpoint = await start(kind, behaviour);
    expect(endpoint.port).toBeGreaterThan(0);
    expect(await get(endpoint.url("/health"))).toEqual(expected);
  });

  it("answers every path alike and closes each connection", async () => {
    const endpoint = await start("autogate");
    for (const path of ["/", "/health", "/api/health?x=1"]) {
      expect(await get(endpoint.url(path))).toMatchObject({ status: 200 });
    }
    expect(await settleOpenTcpSockets()).toBe(0);
  });
});

describe("SimEndpoint hang", () => {
  it("accepts and never answers; the socket is freed when the behaviour switches", async () => {
    const endpoint = await start("autogate", { behaviour: "down", mode: "hang" });
    expect(await get(endpoint.url("/health"), 300)).toEqual({ error: "timeout" });
    expect(await settleOpenTcpSockets()).toBe(0);

    const pending = get(endpoint.url("/health"), 5000);
    await sleep(300);
    await endpoint.setBehaviour({ behaviour: "up" });
    expect(await pending).toEqual({ error: "ECONNRESET" });
    expect(await settleOpenTcpSockets()).toBe(0);
    expect(await get(endpoint.url("/health"))).toMatchObject({ status: 200 });
  });

  it("frees hanging sockets on close", async () => {
    const endpoint = await start("core", { behaviour: "down", mode: "hang" });
    const pending = get(endpoint.url("/health"), 5000);
    await sleep(100);
    await endpoint.close();
    expect(await pending).toEqual({ error: "ECONNRESET" });
    expect(await settleOpenTcpSockets()).toBe(0);
  });
});

describe("SimEndpoint slow", () => {
  it("answers after delay ms (real timers)", async () => {
    const endpoint = await start("autogate", { behaviour: "degraded", mode: "slow", delayMs: 150 });
    const began = performance.now();
    expect(await get(endpoint.url("/health"))).toEqual(
      answered(200, '{"status":"ok","mode":"auto"}'),
    );
    const elapsed = performance.now() - began;
    expect(elapsed).toBeGreaterThanOrEqual(149);
    expect(elapsed).toBeLessThan(1000);
  });

  it("answers exactly at the delay on injected timers", async () => {
    const time = new FakeTime();
    const slow: Behaviour = { behaviour: "degraded", mode: "slow", delayMs: 150 };
    const endpoint = await start("service", slow, time);
    let got: Got | null = null;
    const pending = get(endpoint.url("/health")).then((result) => {
      got = result;
    });
    await until(() => time.pendingTimers === 1, { what: "the slow answer's timer" });
    await time.advance(149);
    await sleep(50);
    expect(got).toBeNull();
    await time.advance(1);
    await pending;
    expect(got).toMatchObject({ status: 200, body: '{"status":"ok"}' });
  });

  it("drops the timer when the client goes away", async () => {
    const time = new FakeTime();
    const slow: Behaviour = { behaviour: "degraded", mode: "slow", delayMs: 10_000 };
    const endpoint = await start("service", slow, time);
    expect(await get(endpoint.url("/health"), 200)).toEqual({ error: "timeout" });
    await until(() => time.pendingTimers === 0, { what: "the slow answer's timer to go" });
    expect(time.pendingTimers).toBe(0);
  });
});

describe("SimEndpoint switching", () => {
  it("switches back and forth on the same port", async () => {
    const endpoint = await start("autogate");
    const port = endpoint.port;
    const steps: [Behaviour, Got][] = [
      [{ behaviour: "down", mode: "refused" }, { error: "ECONNREFUSED" }],
      [{ behaviour: "up" }, answered(200, '{"status":"ok","mode":"auto"}')],
      [{ behaviour: "down", mode: "503" }, answered(503, '{"status":"unavailable"}')],
      [{ behaviour: "down", mode: "refused" }, { error: "ECONNREFUSED" }],
      [{ behaviour: "down", mode: "refused" }, { error: "ECONNREFUSED" }],
      [{ behaviour: "degraded", mode: "manual" }, answered(200, '{"status":"ok","mode":"manual"}')],
      [{ behaviour: "down", mode: "hang" }, { error: "timeout" }],
      [{ behaviour: "up" }, answered(200, '{"status":"ok","mode":"auto"}')],
    ];
    for (const [behaviour, expected] of steps) {
      await endpoint.setBehaviour(behaviour);
      expect(endpoint.behaviour).toEqual(behaviour);
      expect(endpoint.port).toBe(port);
      expect(await get(endpoint.url("/health"), 300)).toEqual(expected);
    }
  });

  it("applies switches in order even when not awaited", async () => {
    const endpoint = await start("autogate");
    void endpoint.setBehaviour({ behaviour: "down", mode: "refused" });
    void endpoint.setBehaviour({ behaviour: "up" });
    await endpoint.setBehaviour({ behaviour: "down", mode: "refused" });
    expect(endpoint.listening).toBe(false);
    expect(await get(endpoint.url("/health"))).toEqual({ error: "ECONNREFUSED" });
  });

  it("a refused start still reserves its port", async () => {
    const endpoint = await start("core", { behaviour: "down", mode: "refused" });
    expect(endpoint.port).toBeGreaterThan(0);
    expect(endpoint.listening).toBe(false);
    await endpoint.setBehaviour({ behaviour: "up" });
    expect(await get(endpoint.url("/health"))).toMatchObject({ status: 200 });
  });

  it("cuts a pending slow answer when the endpoint goes refused", async () => {
    const endpoint = await start("core", { behaviour: "degraded", mode: "slow", delayMs: 5000 });
    const pending = get(endpoint.url("/health"), 5000);
    await sleep(100);
    await endpoint.setBehaviour({ behaviour: "down", mode: "refused" });
    expect(await pending).toEqual({ error: "ECONNRESET" });
  });

  it("refuses and frees its port after close", async () => {
    const endpoint = await start("core");
    await endpoint.close();
    expect(endpoint.listening).toBe(false);
    expect(await get(endpoint.url("/health"))).toEqual({ error: "ECONNREFUSED" });
    await endpoint.setBehaviour({ behaviour: "up" });
    expect(endpoint.listening).toBe(false);
  });
});
