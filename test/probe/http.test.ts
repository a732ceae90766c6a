/**
 * probeHttp against real loopback servers, one behaviour each; verdicts as blackbox_exporter's
 * http_2xx gives them (timeouts and max_body: http-limits.test.ts). The last test checks that
 * no client socket outlived its probe.
 */

import { once } from "node:events";
import type { RequestListener } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpProbeSpec } from "../../src/probe/http.js";
import { probeHttp } from "../../src/probe/http.js";
import type { ProbeResult } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import {
  closeDelimitedBody,
  closeWithoutResponse,
  delayHeaders,
  earlyHintsFirst,
  garbageResponse,
  ipv6LoopbackAvailable,
  redirect,
  resetOnAccept,
  respond,
  respondJson,
  routes,
  shortBody,
  startHttpServer,
  startRawServer,
  type TestServer,
  truncatedChunkedBody,
  unusedPort,
} from "../support/servers/loopback.js";
import { openTcpSockets, settleOpenTcpSockets } from "../support/socket-leaks.js";
import { httpTarget, type TargetOverrides } from "../support/targets.js";

const options = { clock: systemClock };

const echo: RequestListener = (request, response) => {
  let body = "";
  request.on("data", (chunk: Buffer) => {
    body += chunk.toString();
  });
  request.on("end", () => {
    const auth = request.headers.authorization ?? "-";
    respond(200, `${request.method} ${body} ${auth} ${request.headers["user-agent"]}`)(
      request,
      response,
    );
  });
};

const servers: Record<string, TestServer> = {};
let web: TestServer;

beforeAll(async () => {
  web = await startHttpServer(
    routes({
      "/": respond(200, "ok"),
      "/no-content": respond(204),
      "/missing": respond(404, "not found"),
      "/error": respond(500, "boom"),
      "/unavailable": respond(503, "down"),
      "/redirect": redirect("/hop"),
      "/hop": redirect("/"),
      "/see-other": redirect("/echo", 303),
      "/loop": redirect("/loop"),
      "/slow-headers": delayHeaders(150),
      "/text": respond(200, "immigration core v1.2.3 ok"),
      "/health": respondJson({ status: "ok", mode: "normal" }),
      "/health-manual": respondJson({ status: "ok", mode: "manual" }),
      "/health-down": respondJson({ status: "down", mode: "normal" }),
      "/echo": echo,
      "/host": (request, response) =>
        respond(200, `host=${request.headers.host}`)(request, response),
    }),
  );
  servers.web = web;
  servers.reset = await startRawServer(resetOnAccept);
  servers.silentClose = await startRawServer(closeWithoutResponse);
  servers.garbage = await startRawServer(garbageResponse);
  servers.short = await startRawServer(shortBody);
  servers.closeDelimited = await startRawServer(closeDelimitedBody);
  servers.truncatedChunked = await startRawServer(truncatedChunkedBody);
  servers.earlyHints = await startRawServer(earlyHintsFirst);
});

afterAll(async () => {
  for (const server of Object.values(servers)) await server.close();
});

/** `http://` URL of a named server (raw servers speak HTTP or not, as their behaviour says). */
function urlOf(server: string, path = "/"): string {
  const found = servers[server];
  if (found === undefined) throw new Error(`no server ${server}`);
  return `http://${found.host}:${found.port}${path}`;
}

interface VerdictCase {
  name: string;
  url: () => string;
  target?: TargetOverrides<HttpProbeSpec>;
  want: Partial<ProbeResult>;
}

const verdicts: VerdictCase[] = [
  {
    name: "2xx",
    url: () => urlOf("web"),
    want: { result: "ok", reason: null, detail: "status 200", status: 200 },
  },
  {
    name: "204 without body",
    url: () => urlOf("web", "/no-content"),
    want: { result: "ok", status: 204, bytesRead: 0 },
  },
  {
    name: "404",
    url: () => urlOf("web", "/missing"),
    want: { result: "failed", reason: "status", detail: "status 404 not in 200-299", status: 404 },
  },
  {
    name: "500",
    url: () => urlOf("web", "/error"),
    want: { result: "failed", reason: "status", detail: "status 500 not in 200-299", status: 500 },
  },
  {
    name: "503",
    url: () => urlOf("web", "/unavailable"),
    want: { result: "failed", reason: "status", detail: "status 503 not in 200-299", status: 503 },
  },
  {
    name: "redirects followed",
    url: () => urlOf("web", "/redirect"),
    want: { result: "ok", status: 200, redirects: 2 },
  },
  {
    name: "redirect not followed when follow_redirects is off",
    url: () => urlOf("web", "/redirect"),
    target: { probe: { followRedirects: false } },
    want: { result: "failed", reason: "status", detail: "status 302 not in 200-299", redirects: 0 },
  },
  {
    name: "303 turns a POST into a GET without body",
    url: () => urlOf("web", "/see-other"),
    target: { probe: { method: "POST", body: "payload" }, expect: { bodyContains: "GET  " } },
    want: { result: "ok", redirects: 1 },
  },
  {
    name: "POST with a body, Basic auth from the URL, default User-Agent",
    url: () => urlOf("web", "/echo").replace("http://", "http://probe:s3cret@"),
    target: {
      probe: { method: "POST", body: "payload" },
      expect: { bodyContains: "POST payload Basic cHJvYmU6czNjcmV0 pantau" },
    },
    want: { result: "ok" },
  },
  {
    name: "close-delimited body",
    url: () => urlOf("closeDelimited"),
    want: { result: "ok", status: 200, bytesRead: 20 },
  },
  {
    name: "body shorter than its Content-Length",
    url: () => urlOf("short"),
    want: {
      result: "failed",
      reason: "protocol",
      detail: "body shorter than its Content-Length: 10 of 100 bytes",
      status: 200,
    },
  },
  {
    name: "chunked body cut off before its last chunk",
    url: () => urlOf("truncatedChunked"),
    want: { result: "failed", reason: "protocol", status: 200, bytesRead: 5 },
  },
  {
    name: "103 Early Hints before the response",
    url: () => urlOf("earlyHints"),
    target: { expect: { bodyContains: "ok" } },
    want: { result: "ok", status: 200, bytesRead: 2 },
  },
  {
    name: "reset on accept",
    url: () => urlOf("reset"),
    want: { result: "failed", reason: "reset" },
  },
  {
    name: "close without a response",
    url: () => urlOf("silentClose"),
    want: {
      result: "failed",
      reason: "reset",
      detail: "connection closed before a response (other side closed)",
    },
  },
  {
    name: "garbage response",
    url: () => urlOf("garbage"),
    want: { result: "failed", reason: "protocol", status: null },
  },
  {
    name: "body_contains holds",
    url: () => urlOf("web", "/text"),
    target: { expect: { bodyContains: "ok" } },
    want: { result: "ok" },
  },
  {
    name: "body_contains misses",
    url: () => urlOf("web", "/text"),
    target: { expect: { bodyContains: "healthy" } },
    want: { result: "failed", reason: "body", detail: 'body does not contain "healthy"' },
  },
  {
    name: "body_regex matches",
    url: () => urlOf("web", "/text"),
    target: { expect: { bodyRegex: "v\\d+\\.\\d+" } },
    want: { result: "ok" },
  },
  {
    name: "body_regex misses",
    url: () => urlOf("web", "/text"),
    target: { expect: { bodyRegex: "^v\\d" } },
    want: { result: "failed", reason: "body", detail: "body does not match /^v\\d/" },
  },
  {
    name: "json path equals",
    url: () => urlOf("web", "/health"),
    target: { expect: { json: { path: "status", equals: "ok" } } },
    want: { result: "ok" },
  },
  {
    name: "json path differs",
    url: () => urlOf("web", "/health-down"),
    target: { expect: { json: { path: "status", equals: "ok" } } },
    want: {
      result: "failed",
      reason: "json",
      detail: 'json path "status" is "down", expected "ok"',
    },
  },
  {
    name: "body is not JSON",
    url: () => urlOf("web", "/text"),
    target: { expect: { json: { path: "status", equals: "ok" } } },
    want: { result: "failed", reason: "json", detail: "body is not JSON" },
  },
  {
    name: "degraded JSON mode",
    url: () => urlOf("web", "/health-manual"),
    target: {
      expect: { json: { path: "status", equals: "ok" } },
      degraded: { json: { path: "mode", equals: "manual" } },
    },
    want: { result: "degraded", reason: "json", detail: 'json path "mode" is "manual"' },
  },
  {
    name: "degraded latency",
    url: () => urlOf("web", "/slow-headers"),
    target: { degraded: { latencyOver: 100 } },
    want: { result: "degraded", reason: "latency" },
  },
  {
    name: "NXDOMAIN",
    url: () => "http://nonexistent.invalid/",
    want: { result: "failed", reason: "dns", status: null },
  },
];

describe("probeHttp verdicts", () => {
  it.each(verdicts)("$name", async ({ url, target, want }) => {
    const result = await probeHttp(httpTarget(url(), target), options);
    expect(result).toMatchObject(want);
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it("sends the URL's host (and port) as Host, unless a Host header is configured", async () => {
    const sent = await probeHttp(
      httpTarget(urlOf("web", "/host"), {
        expect: { bodyContains: `host=${web.host}:${web.port}` },
      }),
      options,
    );
    expect(sent).toMatchObject({ result: "ok" });
    const configured = await probeHttp(
      httpTarget(urlOf("web", "/host"), {
        probe: { headers: { host: "portal.example" } },
        expect: { bodyContains: "host=portal.example" },
      }),
      options,
    );
    expect(configured).toMatchObject({ result: "ok" });
  });

  it("probes of one target share its first request unchanged, redirects and all", async () => {
    const target = httpTarget(
      urlOf("web", "/see-other").replace("http://", "http://probe:s3cret@"),
      {
        probe: { method: "POST", body: "payload" },
        expect: { bodyContains: "GET  Basic cHJvYmU6czNjcmV0 pantau" },
      },
    );
    for (let i = 0; i < 3; i++) {
      expect(await probeHttp(target, options)).toMatchObject({ result: "ok", redirects: 1 });
    }
  });

  it("a header that cannot be sent fails the probe as protocol, with Node's words", async () => {
    const result = await probeHttp(
      httpTarget(urlOf("web"), { probe: { headers: { "x-token": "a\r\nb" } } }),
      options,
    );
    expect(result).toMatchObject({
      result: "failed",
      reason: "protocol",
      detail: 'Invalid character in header content ["x-token"]',
    });
  });

  it("redirect loop stops at max_redirects", async () => {
    const result = await probeHttp(httpTarget(urlOf("web", "/loop")), options);
    expect(result).toMatchObject({
      result: "failed",
      reason: "too_many_redirects",
      redirects: 10,
      status: 302,
    });
    expect(result.detail).toBe(
      `stopped after 10 redirects (max_redirects 10), next ${urlOf("web", "/loop")}`,
    );
  });

  it("connection refused, with the address in the detail", async () => {
    const port = await unusedPort();
    const result = await probeHttp(httpTarget(`http://127.0.0.1:${port}/`), options);
    expect(result).toMatchObject({
      result: "failed",
      reason: "refused",
      detail: `connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it("IPv6 loopback", async (context) => {
    if (!(await ipv6LoopbackAvailable())) context.skip();
    const server = await startHttpServer(respond(200, "ok"), { host: "::1" });
    try {
      const result = await probeHttp(
        httpTarget(server.url("/"), { probe: { ipFamily: "ipv6" } }),
        options,
      );
      expect(server.url("/")).toMatch(/^http:\/\/\[::1\]:\d+\/$/);
      expect(result).toMatchObject({ result: "ok", status: 200 });
    } finally {
      await server.close();
    }
  });

  it("times each phase: processing holds the server's think time", async () => {
    const result = await probeHttp(httpTarget(urlOf("web", "/slow-headers")), options);
    const { phases } = result;
    expect(phases.processing).toBeGreaterThanOrEqual(140);
    expect(phases.tls).toBe(0);
    const sum = phases.resolve + phases.connect + phases.processing + phases.transfer;
    expect(sum).toBeLessThanOrEqual(result.durationMs);
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
    for (const server of Object.values(servers)) await server.close();
    expect(await settleOpenTcpSockets(200)).toBe(0);
  });
});
