/**
 * probeHttp's limits against real loopback servers: the one timeout over the whole probe (and
 * the socket it frees), the caller's abort signal, and max_body on a 64 MiB body.
 */
import { once } from "node:events";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeHttp } from "../../src/probe/http.js";
import type { ProbeResult } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import {
  delayHeaders,
  hang,
  respond,
  routes,
  type StreamProgress,
  startHttpServer,
  streamBody,
  type TestServer,
  trickleBody,
} from "../support/servers/loopback.js";
import { openTcpSockets, settleOpenTcpSockets } from "../support/socket-leaks.js";
import { httpTarget } from "../support/targets.js";

const MiB = 1024 * 1024;
const options = { clock: systemClock };
const bigBody: StreamProgress = { written: 0 };
let web: TestServer;

beforeAll(async () => {
  web = await startHttpServer(
    routes({
      "/": respond(200, "ok"),
      "/slow-headers": delayHeaders(150),
      "/very-slow-headers": delayHeaders(5000),
      "/hang": hang,
      "/trickle": trickleBody(50),
      "/big": streamBody(64 * MiB, bigBody),
    }),
  );
});

afterAll(async () => {
  await web.close();
});

function urlOf(path: string): string {
  return web.url(path);
}

describe("a 64 MiB body with max_body 1 MiB", () => {
  it.each([
    { name: "counted only", expect: {} },
    { name: "kept for body_contains", expect: { bodyContains: "aaaa" } },
  ])(
    "is read up to max_body, then the connection is dropped ($name)",
    async ({ expect: rules }) => {
      bigBody.written = 0;
      const before = process.memoryUsage();
      let peak = before.arrayBuffers;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }, 1);
      const result = await probeHttp(
        httpTarget(urlOf("/big"), { probe: { maxBody: MiB }, expect: rules }),
        options,
      );
      clearInterval(sampler);
      const after = process.memoryUsage();
      expect(result).toMatchObject({ result: "ok", status: 200, bytesRead: MiB });
      expect(Math.max(peak, after.arrayBuffers) - before.arrayBuffers).toBeLessThan(32 * MiB);
      expect(after.rss - before.rss).toBeLessThan(32 * MiB);
      // the server could only write what the client read, plus socket buffers
      expect(bigBody.written).toBeLessThan(16 * MiB);
    },
  );
});

interface TimeoutCase {
  name: string;
  path: string;
  timeout: number;
  want: Partial<ProbeResult>;
}

const timeouts: TimeoutCase[] = [
  {
    name: "slow headers beyond the timeout",
    path: "/very-slow-headers",
    timeout: 300,
    want: { reason: "timeout", detail: "timeout after 300ms (waiting for headers)", status: null },
  },
  {
    name: "a server that never answers",
    path: "/hang",
    timeout: 300,
    want: { reason: "timeout", detail: "timeout after 300ms (waiting for headers)" },
  },
  {
    name: "a body trickled past the timeout",
    path: "/trickle",
    timeout: 400,
    want: { reason: "timeout", detail: "timeout after 400ms (reading body)", status: 200 },
  },
];

describe("the timeout bounds the whole probe and frees the socket", () => {
  it.each(timeouts)("$name", async ({ path, timeout, want }) => {
    const accepted = web.connections.length;
    const started = performance.now();
    const result = await probeHttp(httpTarget(urlOf(path), { timeout }), options);
    const ended = performance.now();
    expect(result).toMatchObject({ result: "failed", ...want });
    expect(ended - started).toBeLessThan(timeout + 100);
    const connection = web.connections[accepted];
    expect(connection).toBeDefined();
    const closedAt = await Promise.race([
      connection?.closed ?? Number.NaN,
      sleep(1000).then(() => Number.NaN),
    ]);
    expect(closedAt - ended).toBeLessThan(100);
  });

  it("slow headers within the timeout are fine", async () => {
    const result = await probeHttp(httpTarget(urlOf("/slow-headers"), { timeout: 1000 }), options);
    expect(result).toMatchObject({ result: "ok", status: 200 });
  });

  it("an aborted signal ends the probe at once, and frees the socket", async () => {
    const accepted = web.connections.length;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const result = await probeHttp(httpTarget(urlOf("/hang"), { timeout: 5000 }), {
      ...options,
      signal: controller.signal,
    });
    const ended = performance.now();
    expect(result).toMatchObject({ result: "failed", reason: "timeout", detail: "aborted" });
    expect(ended - started).toBeLessThan(150);
    const closedAt = await web.connections[accepted]?.closed;
    expect((closedAt ?? Number.POSITIVE_INFINITY) - ended).toBeLessThan(100);
  });

  it("a signal aborted before the start fails without connecting", async () => {
    const accepted = web.connections.length;
    const result = await probeHttp(httpTarget(urlOf("/")), {
      ...options,
      signal: AbortSignal.abort(),
    });
    expect(result).toMatchObject({ result: "failed", reason: "timeout", detail: "aborted" });
    await sleep(20);
    expect(web.connections.length).toBe(accepted);
  });
});

describe("sockets", () => {
  it("leaves no client socket open once every probe has returned", async () => {
    // the check can fail: a client socket left open is counted (with its server side)
    const leaked = connect(web.port, web.host);
    await once(leaked, "connect");
    expect(openTcpSockets()).toBeGreaterThanOrEqual(1);
    leaked.destroy();
    // servers close their side when the client closes; with the servers still up, a leaked
    // probe socket would keep both sides open here
    expect(await settleOpenTcpSockets(1000)).toBe(0);
    await web.close();
    expect(await settleOpenTcpSockets(200)).toBe(0);
  });
});

// real time: what these tests measure is a real socket's timeout and close, not a clock's
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
