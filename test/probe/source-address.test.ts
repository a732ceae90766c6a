/**
 * `source_ip_address`: the probe's socket is bound to it before connecting, so the server sees
 * the connection come from it (HTTP/1.1, HTTP/2 cleartext and TCP). An address this host does
 * not have never gets here: the loader refuses it (test/config/connection-resources.test.ts).
 */
import { createServer as createHttp2Server } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeHttp } from "../../src/probe/http.js";
import { probeTcp } from "../../src/probe/tcp.js";
import { systemClock } from "../../src/time/clock.js";
import {
  ipv6LoopbackAvailable,
  startHttpServer,
  startRawServer,
  type TestServer,
} from "../support/servers/loopback.js";
import { settleOpenTcpSockets } from "../support/socket-leaks.js";
import { httpTarget, tcpTarget } from "../support/targets.js";
import { until } from "../support/until.js";

const options = { clock: systemClock };
/** The client address each server saw, per request or connection. */
const seen: string[] = [];
let web: TestServer;
let raw: TestServer;
let h2c: ReturnType<typeof createHttp2Server>;
let h2cPort = 0;
const hasIpv6 = await ipv6LoopbackAvailable();
let web6: TestServer | null = null;

beforeAll(async () => {
  const record = (address: string | undefined) => seen.push(address ?? "?");
  web = await startHttpServer((request, response) => {
    record(request.socket.remoteAddress);
    response.end("ok");
  });
  raw = await startRawServer((socket) => record(socket.remoteAddress));
  h2c = createHttp2Server((request, response) => {
    record(request.socket.remoteAddress);
    response.end("ok");
  });
  await new Promise<void>((resolve) => h2c.listen(0, "127.0.0.1", resolve));
  h2cPort = (h2c.address() as { port: number }).port;
  if (hasIpv6) {
    web6 = await startHttpServer(
      (request, response) => {
        record(request.socket.remoteAddress);
        response.end("ok");
      },
      { host: "::1" },
    );
  }
});

afterAll(async () => {
  await web.close();
  await raw.close();
  await web6?.close();
  await new Promise<void>((resolve) => h2c.close(() => resolve()));
});

async function sawFrom(probe: () => Promise<{ result: string }>): Promise<string[]> {
  const before = seen.length;
  expect((await probe()).result).toBe("ok");
  return seen.slice(before);
}

describe("source_ip_address", () => {
  it("HTTP/1.1: the server sees the connection come from 127.0.0.2", async () => {
    const target = httpTarget(web.url(), { probe: { sourceIpAddress: "127.0.0.2" } });
    expect(await sawFrom(() => probeHttp(target, options))).toEqual(["127.0.0.2"]);
  });

  it("HTTP/2 (h2c): the server sees the connection come from 127.0.0.3", async () => {
    const target = httpTarget(`http://127.0.0.1:${h2cPort}/`, {
      probe: { sourceIpAddress: "127.0.0.3", version: "2c" },
    });
    expect(await sawFrom(() => probeHttp(target, options))).toEqual(["127.0.0.3"]);
  });

  it("TCP: the server sees the connection come from 127.0.0.4", async () => {
    const target = tcpTarget("127.0.0.1", raw.port, { probe: { sourceIpAddress: "127.0.0.4" } });
    const before = seen.length;
    expect((await probeTcp(target, options)).result).toBe("ok");
    // the raw server records at accept, which may follow the client's connect by a tick
    await until(() => seen.length > before, { what: "the server's accept", timeoutMs: 1000 });
    expect(seen.slice(before)).toEqual(["127.0.0.4"]);
  });

  it("without it, the system chooses (127.0.0.1 on loopback)", async () => {
    expect(await sawFrom(() => probeHttp(httpTarget(web.url()), options))).toEqual(["127.0.0.1"]);
  });

  it("a name resolves in the source address's family (localhost from 127.0.0.2: IPv4)", async () => {
    const target = httpTarget(`http://localhost:${web.port}/`, {
      probe: { sourceIpAddress: "127.0.0.2" },
    });
    expect(await sawFrom(() => probeHttp(target, options))).toEqual(["127.0.0.2"]);
  });

  it.skipIf(!hasIpv6)(
    "IPv6: bound to ::1, the server sees ::1 (skipped: this host has no IPv6 loopback)",
    async () => {
      const target = httpTarget(web6?.url() ?? "", { probe: { sourceIpAddress: "::1" } });
      expect(await sawFrom(() => probeHttp(target, options))).toEqual(["::1"]);
    },
  );

  it("an IPv4 source cannot reach an IPv6 literal: a dns failure naming why", async () => {
    const target = httpTarget("http://[::1]:1/", { probe: { sourceIpAddress: "127.0.0.2" } });
    expect(await probeHttp(target, options)).toMatchObject({
      result: "failed",
      reason: "dns",
      detail: "::1 is not an IPv4 address (source_ip_address 127.0.0.2)",
    });
  });
});

describe("sockets", () => {
  it("leaves no client socket open once every probe has returned", async () => {
    expect(await settleOpenTcpSockets(1000)).toBe(0);
  });
});
