/**
 * HTTP/2 (`version: 2` and `2c`) against real loopback servers (node:http2): h2 chosen by ALPN
 * over TLS and h2c with prior knowledge give the verdicts, phases, limits and redirects of
 * HTTP/1.1, and probe_http_version 2. A server that speaks only HTTP/1.1 fails the probe
 * (blackbox_exporter's `valid_http_versions: [HTTP/2.0]`).
 */

import type { RequestListener } from "node:http";
import {
  constants,
  createServer as createH2cServer,
  createSecureServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type ServerHttp2Session,
} from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TlsSettings } from "../../src/fields/connection-fields.js";
import { type HttpProbeSpec, probeHttp } from "../../src/probe/http.js";
import type { HttpVersion } from "../../src/probe/http-hop.js";
import type { ProbeResult } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import {
  delayHeaders,
  redirect,
  respond,
  routes,
  type StreamProgress,
  startHttpServer,
  startRawServer,
  streamBody,
  type TestServer,
  trickleBody,
} from "../support/servers/loopback.js";
import { settleOpenTcpSockets } from "../support/socket-leaks.js";
import { httpTarget, type TargetOverrides } from "../support/targets.js";
import { loadedTls, testPki } from "../support/tls-certs.js";

const options = { clock: systemClock };
const MiB = 1024 * 1024;
const big: StreamProgress = { written: 0 };

/** The same routes for every server; the compatibility API takes HTTP/1.1's handlers. */
const site = routes({
  "/": respond(200, "ok"),
  "/missing": respond(404, "not found"),
  "/text": respond(200, "immigration core v1.2.3 ok"),
  "/redirect": redirect("/hop"),
  "/hop": redirect("/"),
  "/loop": redirect("/loop"),
  "/slow-headers": delayHeaders(2_000),
  "/trickle": trickleBody(50),
  "/big": streamBody(64 * MiB, big),
  // reset the stream, end the session: before any response
  "/refused": (request) =>
    (request as unknown as Http2ServerRequest).stream.close(constants.NGHTTP2_REFUSED_STREAM),
  // HTTP/2 carries the host in :authority (the compatibility API does not copy it to host)
  "/authority": (request, response) =>
    respond(200, `authority=${request.headers[":authority"] ?? request.headers.host}`)(
      request,
      response,
    ),
});
const h2Handler = site as unknown as Parameters<typeof createH2cServer>[1];

let caTls: TlsSettings;
let h2: Http2SecureServer;
let h2c: Http2Server;
const ports = { h2: 0, h2c: 0 };
let http1Tls: TestServer;
let http1: TestServer;
let notHttp: TestServer;

async function listen(server: Http2SecureServer | Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  const pki = testPki();
  caTls = await loadedTls({ caFile: pki.caFile });
  h2 = createSecureServer({ key: pki.valid.key, cert: pki.valid.cert }, h2Handler);
  h2c = createH2cServer(h2Handler);
  ports.h2 = await listen(h2);
  ports.h2c = await listen(h2c);
  http1Tls = await startHttpServer(site as RequestListener, { tls: pki.valid });
  http1 = await startHttpServer(site as RequestListener);
  // reads what comes (so that it sees the client's close), answers a banner and closes
  notHttp = await startRawServer((socket) => {
    socket.resume();
    socket.end("SSH-2.0-OpenSSH_9.6\r\n");
  });
});

afterAll(async () => {
  for (const server of [h2, h2c]) {
    server.close();
  }
  await http1Tls.close();
  await http1.close();
  await notHttp.close();
});

/** One HTTP/2 flavour: over TLS (`2`, h2 by ALPN) or in cleartext (`2c`, prior knowledge). */
const FLAVOURS = [
  {
    name: "h2 over TLS",
    version: "2" as HttpVersion,
    url: (path: string) => `https://127.0.0.1:${ports.h2}${path}`,
  },
  {
    name: "h2c",
    version: "2c" as HttpVersion,
    url: (path: string) => `http://127.0.0.1:${ports.h2c}${path}`,
  },
];

function h2Target(
  url: string,
  version: HttpVersion,
  more: TargetOverrides<HttpProbeSpec> = {},
): ReturnType<typeof httpTarget> {
  return httpTarget(url, { ...more, probe: { tls: caTls, version, ...more.probe } });
}

interface Case {
  name: string;
  path: string;
  more?: TargetOverrides<HttpProbeSpec>;
  want: Partial<ProbeResult>;
}

const cases: Case[] = [
  {
    name: "200: up",
    path: "/",
    want: { result: "ok", status: 200, reason: null, httpVersion: 2, bytesRead: 2 },
  },
  {
    name: "404: down by status",
    path: "/missing",
    want: {
      result: "failed",
      status: 404,
      reason: "status",
      detail: "status 404 not in 200-299",
      httpVersion: 2,
    },
  },
  {
    name: "body_regex that matches: up",
    path: "/text",
    more: { expect: { bodyRegex: "v1\\.\\d+\\.\\d+ ok" } },
    want: { result: "ok", status: 200 },
  },
  {
    name: "body_regex that does not match: down",
    path: "/text",
    more: { expect: { bodyRegex: "v2\\." } },
    want: { result: "failed", reason: "body", detail: "body does not match /v2\\./" },
  },
  {
    name: "two redirects followed, each hop its own h2 connection",
    path: "/redirect",
    want: { result: "ok", status: 200, redirects: 2, httpVersion: 2 },
  },
  {
    name: "redirects not followed: the 302 is judged",
    path: "/redirect",
    more: { probe: { followRedirects: false } },
    want: { result: "failed", status: 302, reason: "status", redirects: 0 },
  },
  {
    name: "a redirect loop stops at max_redirects",
    path: "/loop",
    more: { probe: { maxRedirects: 3 } },
    want: {
      result: "failed",
      reason: "too_many_redirects",
      detail: expect.stringMatching(
        /^stopped after 3 redirects \(max_redirects 3\), next http.*\/loop$/,
      ),
    },
  },
  {
    name: "headers later than the timeout",
    path: "/slow-headers",
    more: { timeout: 300 },
    want: {
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (waiting for headers)",
      status: null,
    },
  },
  {
    name: "a body that never ends",
    path: "/trickle",
    more: { timeout: 300 },
    want: {
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (reading body)",
      status: 200,
    },
  },
  {
    name: "a 64 MiB body is read up to max_body, then the stream is dropped",
    path: "/big",
    more: { probe: { maxBody: MiB } },
    want: { result: "ok", status: 200, bytesRead: MiB },
  },
  {
    name: "a stream reset before its response (RST_STREAM REFUSED_STREAM)",
    path: "/refused",
    want: {
      result: "failed",
      reason: "reset",
      detail: "HTTP/2 stream closed before a response (REFUSED_STREAM)",
      status: null,
    },
  },
  {
    name: "a Host header becomes :authority",
    path: "/authority",
    more: {
      probe: { headers: { Host: "portal.example" } },
      expect: { bodyRegex: "^authority=portal\\.example$" },
    },
    want: { result: "ok", status: 200 },
  },
];

describe.each(FLAVOURS)("$name", ({ version, url, name }) => {
  it.each(cases)("$name", async ({ path, more, want }) => {
    const result = await probeHttp(h2Target(url(path), version, more), options);
    expect(result).toMatchObject(want);
  });

  it("times each phase: connect, TLS (over TLS only), processing, transfer", async () => {
    const { phases } = await probeHttp(h2Target(url("/"), version), options);
    expect(phases.resolve).toBe(0);
    expect(phases.connect).toBeGreaterThan(0);
    expect(phases.tls > 0).toBe(name === "h2 over TLS");
    expect(phases.processing).toBeGreaterThan(0);
    expect(phases.transfer).toBeGreaterThanOrEqual(0);
  });

  it("the 64 MiB server wrote only what flow control let through", () => {
    expect(big.written).toBeLessThan(16 * MiB);
  });
});

describe("a server going away", () => {
  it("a GOAWAY that excludes the probe's stream: down (reset) at once, the error named", async () => {
    const server = createH2cServer();
    const sessions: ServerHttp2Session[] = [];
    server.on("session", (session) => {
      sessions.push(session);
      session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, 0);
    });
    const port = await listen(server);
    try {
      const result = await probeHttp(
        h2Target(`http://127.0.0.1:${port}/`, "2c", { timeout: 2000 }),
        options,
      );
      expect(result).toMatchObject({
        result: "failed",
        reason: "reset",
        detail:
          "HTTP/2 session ended by the server (GOAWAY) before the response (ENHANCE_YOUR_CALM)",
      });
      expect(result.durationMs).toBeLessThan(1000);
    } finally {
      // the server's side of the session waits for more: end it (the probe closed its own)
      for (const session of sessions) session.destroy();
      server.close();
    }
  });
});

describe("a server without HTTP/2", () => {
  it("version 2 over TLS to an HTTP/1.1-only server: down (protocol), ALPN's choice in the detail, probe_http_version 1.1", async () => {
    const result = await probeHttp(h2Target(http1Tls.url("/"), "2"), options);
    expect(result).toMatchObject({
      result: "failed",
      reason: "protocol",
      detail: "the server does not speak HTTP/2 over TLS (ALPN chose http/1.1, not h2)",
      status: null,
      httpVersion: 1.1,
    });
    expect(result.phases.tls).toBeGreaterThan(0);
  });

  it("version 2c to an HTTP/1.1-only cleartext server: down (protocol)", async () => {
    expect(await probeHttp(h2Target(http1.url("/"), "2c"), options)).toMatchObject({
      result: "failed",
      reason: "protocol",
      detail: "HTTP/2 session error: Protocol error (does the server speak HTTP/2?)",
      status: null,
      httpVersion: null,
    });
  });

  it("version 1.1 to the h2 server still speaks HTTP/1.1 (ALPN offers http/1.1 only): the h2-only server refuses", async () => {
    const result = await probeHttp(h2Target(FLAVOURS[0]?.url("/") ?? "", "1.1"), options);
    expect(result).toMatchObject({ result: "failed", reason: "tls" });
  });

  it("version 1.1 reports probe_http_version 1.1", async () => {
    expect(await probeHttp(h2Target(http1.url("/"), "1.1"), options)).toMatchObject({
      result: "ok",
      httpVersion: 1.1,
    });
  });
});

describe("a peer that is not HTTP at all", () => {
  it("version 2c to an SSH banner: down (protocol)", async () => {
    expect(
      await probeHttp(h2Target(`http://127.0.0.1:${notHttp.port}/`, "2c"), options),
    ).toMatchObject({
      result: "failed",
      reason: "protocol",
      detail: "HTTP/2 session error: Protocol error (does the server speak HTTP/2?)",
      status: null,
    });
  });
});

describe("sockets", () => {
  it("leaves no client socket open once every probe has returned", async () => {
    expect(await settleOpenTcpSockets(1000)).toBe(0);
  });
});
