/**
 * Client certificates (`tls: { cert_file, key_file }`) against real loopback servers that
 * require one signed by the test CA: HTTP/1.1, HTTP/2 and TCP+TLS present the certificate the
 * loader read; without it, or with one the server does not trust, the probe is down with the
 * server's refusal as its detail.
 */
import { once } from "node:events";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TlsSettings } from "../../src/fields/connection-fields.js";
import { grpcKind, probeGrpc } from "../../src/probe/grpc.js";
import { probeHttp } from "../../src/probe/http.js";
import type { HttpVersion } from "../../src/probe/http-hop.js";
import { probeTcp } from "../../src/probe/tcp.js";
import { systemClock } from "../../src/time/clock.js";
import {
  type HealthServer,
  SERVING,
  startHealthServer,
} from "../support/servers/grpc-health-server.js";
import { settleOpenTcpSockets } from "../support/socket-leaks.js";
import { DEFAULT_EXPECT, httpTarget, NO_DEGRADED_RULES, tcpTarget } from "../support/targets.js";
import { loadedTls, type TestPki, testPki } from "../support/tls-certs.js";
import { until } from "../support/until.js";

const options = { clock: systemClock };

let pki: TestPki;
/** What each server saw as the client's certificate subject, per connection ("-" for none). */
const seen: string[] = [];
let https: HttpsServer;
let h2: Http2SecureServer;
let tls: TlsServer;
let tls12: TlsServer;
let tlsWith: { client: TlsSettings; stranger: TlsSettings; none: TlsSettings };

function serverOptions(maxVersion: "TLSv1.2" | "TLSv1.3" = "TLSv1.3") {
  return {
    key: pki.valid.key,
    cert: pki.valid.cert,
    ca: pki.ca.cert,
    requestCert: true,
    rejectUnauthorized: true,
    maxVersion,
  };
}

function subjectOf(socket: TLSSocket): string {
  return String(socket.getPeerCertificate().subject?.CN ?? "-");
}

async function listen(server: HttpsServer | Http2SecureServer | TlsServer): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as { port: number }).port;
}

const ports = { https: 0, h2: 0, tls: 0, tls12: 0 };

beforeAll(async () => {
  pki = testPki();
  https = createHttpsServer(serverOptions(), (request, response) => {
    seen.push(subjectOf(request.socket as TLSSocket));
    response.end("ok");
  });
  h2 = createSecureServer(serverOptions(), (request, response) => {
    seen.push(subjectOf(request.socket as unknown as TLSSocket));
    response.end("ok");
  });
  const hold = (socket: TLSSocket) => {
    seen.push(subjectOf(socket));
    socket.on("error", () => undefined);
  };
  tls = createTlsServer(serverOptions(), hold);
  tls12 = createTlsServer(serverOptions("TLSv1.2"), hold);
  ports.https = await listen(https);
  ports.h2 = await listen(h2);
  ports.tls = await listen(tls);
  ports.tls12 = await listen(tls12);
  tlsWith = {
    client: await loadedTls({
      caFile: pki.caFile,
      certFile: pki.files.clientCert,
      keyFile: pki.files.clientKey,
    }),
    stranger: await loadedTls({
      caFile: pki.caFile,
      certFile: pki.files.strangerCert,
      keyFile: pki.files.strangerKey,
    }),
    none: await loadedTls({ caFile: pki.caFile }),
  };
});

afterAll(async () => {
  for (const server of [https, h2, tls, tls12]) {
    server.close();
    await once(server, "close");
  }
});

function probeHttps(port: number, version: HttpVersion, settings: TlsSettings) {
  return probeHttp(
    httpTarget(`https://127.0.0.1:${port}/`, { probe: { tls: settings, version } }),
    options,
  );
}

describe("HTTP with a client certificate", () => {
  it.each([
    ["1.1", () => ports.https],
    ["2", () => ports.h2],
  ] as const)(
    "HTTP/%s: up with the CA's client certificate, which the server saw",
    async (version, port) => {
      const before = seen.length;
      const result = await probeHttps(port(), version, tlsWith.client);
      expect(result).toMatchObject({ result: "ok", status: 200, reason: null });
      expect(seen.slice(before)).toEqual(["pantau-probe"]);
    },
  );

  // TLS 1.3: the server checks the certificate after the client's last handshake message, and
  // its alert reaches the probe while it waits for the response: still a `tls` failure
  it.each([
    ["1.1", () => ports.https, "none", "tlsv13 alert certificate required"],
    ["2", () => ports.h2, "none", "tlsv13 alert certificate required"],
  ] as const)(
    "HTTP/%s: down without a certificate (%s): the server's alert",
    async (version, port, which, alert) => {
      const before = seen.length;
      const result = await probeHttps(port(), version, tlsWith[which]);
      expect(result).toMatchObject({
        result: "failed",
        reason: "tls",
        detail: `TLS handshake failed: ${alert}`,
        status: null,
      });
      expect(seen.slice(before)).toEqual([]);
    },
  );

  // Node's server closes on a certificate it does not trust without an alert (OpenSSL servers
  // such as nginx send `unknown ca`, which reads as above): the probe sees the close
  it.each([
    ["1.1", () => ports.https, "reset", "connection closed before a response (other side closed)"],
    ["2", () => ports.h2, "reset", "HTTP/2 stream closed before a response (CANCEL)"],
  ] as const)(
    "HTTP/%s: down with a certificate the server does not trust (closed without an alert)",
    async (version, port, reason, detail) => {
      const before = seen.length;
      const result = await probeHttps(port(), version, tlsWith.stranger);
      expect(result).toMatchObject({ result: "failed", reason, detail, status: null });
      expect(seen.slice(before)).toEqual([]);
    },
  );
});

describe("TCP+TLS with a client certificate", () => {
  const probe = (port: number, settings: TlsSettings) =>
    probeTcp(
      tcpTarget("127.0.0.1", port, { probe: { tls: true, tlsSettings: settings } }),
      options,
    );

  it("TLS 1.2: up with the CA's client certificate, which the server saw", async () => {
    const before = seen.length;
    expect(await probe(ports.tls12, tlsWith.client)).toMatchObject({ result: "ok", reason: null });
    await until(() => seen.length > before, { what: "the server's handshake", timeoutMs: 1000 });
    expect(seen.slice(before)).toEqual(["pantau-probe"]);
  });

  it.each([
    [
      "none",
      // OpenSSL names the alert "sslv3" under Node 20 and "ssl/tls" under Node 24
      {
        reason: "tls",
        detail: expect.stringMatching(
          /^TLS handshake failed: (sslv3|ssl\/tls) alert handshake failure$/,
        ),
      },
    ],
    [
      // Node's server closes on an untrusted certificate without an alert
      "stranger",
      {
        reason: "reset",
        detail: "Client network socket disconnected before secure TLS connection was established",
      },
    ],
  ] as const)(
    "TLS 1.2: down without an accepted certificate (%s): refused inside the handshake",
    async (which, want) => {
      expect(await probe(ports.tls12, tlsWith[which])).toMatchObject({ result: "failed", ...want });
    },
  );

  // The documented limit (docs/probes.md), as blackbox_exporter's tcp module has it: in TLS 1.3
  // the server judges the client's certificate after the client's handshake has ended, and a
  // TCP probe, which sends nothing after it, is done before any refusal can arrive
  it.each(["client", "none"] as const)(
    "TLS 1.3: a TCP probe's handshake ends before the server judges its certificate (%s): up",
    async (which) => {
      expect(await probe(ports.tls, tlsWith[which])).toMatchObject({ result: "ok", reason: null });
    },
  );
});

describe("gRPC health over TLS with a client certificate", () => {
  let server: HealthServer;

  beforeAll(async () => {
    server = await startHealthServer({
      services: { "": SERVING },
      tls: pki.valid,
      clientCa: pki.ca.cert,
    });
  });

  afterAll(() => server.close());

  const probe = (settings: TlsSettings) =>
    probeGrpc(
      {
        probe: {
          ...grpcKind.resolve(grpcKind.block.parse({ host: "127.0.0.1", port: server.port })),
          tls: true,
          tlsSettings: settings,
        },
        timeout: 2000,
        expect: DEFAULT_EXPECT,
        degraded: NO_DEGRADED_RULES,
      },
      options,
    );

  it("SERVING with the CA's client certificate", async () => {
    expect(await probe(tlsWith.client)).toMatchObject({ result: "ok", reason: null });
  });

  // TLS 1.3: the server's refusal arrives after the handshake, while grpc-js sets up HTTP/2
  it.each([
    [
      "none",
      /^connection closed before HTTP\/2 was set up \(.*tlsv13 alert certificate required.*\)$/,
    ],
    ["stranger", /^connection closed before HTTP\/2 was set up \(Failed to connect\)$/],
  ] as const)("down without an accepted certificate (%s)", async (which, detail) => {
    expect(await probe(tlsWith[which])).toMatchObject({
      result: "failed",
      reason: "reset",
      detail: expect.stringMatching(detail),
    });
  });
});

describe("sockets", () => {
  it("leaves no client socket open once every probe has returned", async () => {
    expect(await settleOpenTcpSockets(1000)).toBe(0);
  });
});
