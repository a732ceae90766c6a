/**
 * probeHttp over TLS: custom CA, expired / wrong-host / self-signed certificates, skip-verify,
 * certificate expiry, and a handshake that never comes. Certificates are made at test time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TlsSettings } from "../../src/config/types.js";
import type { HttpProbeSpec } from "../../src/probe/http.js";
import { probeHttp } from "../../src/probe/http.js";
import type { ProbeResult } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import {
  acceptAndHold,
  respond,
  startHttpServer,
  startRawServer,
  type TestServer,
} from "../support/servers/loopback.js";
import { settleOpenTcpSockets } from "../support/socket-leaks.js";
import { httpTarget, NO_TLS_FILES, type TargetOverrides } from "../support/targets.js";
import {
  EXPIRED_NOT_AFTER,
  loadedTls,
  type TestCertificate,
  type TestPki,
  testPki,
} from "../support/tls-certs.js";

const DAY = 86_400_000;
const options = { clock: systemClock };

let pki: TestPki;
/** The test CA, read as the config loader reads a ca_file. */
let caTls: TlsSettings;
const servers: Record<string, TestServer> = {};

beforeAll(async () => {
  pki = testPki();
  caTls = await loadedTls({ caFile: pki.caFile });
  const serve = (cert: TestCertificate): Promise<TestServer> =>
    startHttpServer(respond(200, "ok"), { tls: { key: cert.key, cert: cert.cert } });
  servers.valid = await serve(pki.valid);
  servers.expired = await serve(pki.expired);
  servers.expiringSoon = await serve(pki.expiringSoon);
  servers.wrongHost = await serve(pki.wrongHost);
  servers.selfSigned = await serve(pki.selfSigned);
  servers.noHandshake = await startRawServer(acceptAndHold);
  servers.plainHttp = await startHttpServer(respond(200, "ok"));
});

afterAll(async () => {
  for (const server of Object.values(servers)) await server.close();
});

function httpsUrl(server: string, host = "127.0.0.1"): string {
  return `https://${host}:${servers[server]?.port}/`;
}

function withTls(
  tls: Partial<TlsSettings>,
  more: TargetOverrides<HttpProbeSpec> = {},
): TargetOverrides<HttpProbeSpec> {
  return {
    ...more,
    probe: {
      // the CA's credentials while ca_file is the CA's: a case naming another file has none
      tls: tls.caFile === undefined ? { ...caTls, ...tls } : { ...NO_TLS_FILES, ...tls },
      ...more.probe,
    },
  };
}

interface TlsCase {
  name: string;
  url: () => string;
  target: () => TargetOverrides<HttpProbeSpec>;
  want: () => Partial<ProbeResult>;
  /** False when the probe fails before any handshake. */
  handshake?: boolean;
}

const cases: TlsCase[] = [
  {
    name: "valid certificate from the custom CA",
    url: () => httpsUrl("valid"),
    target: () => withTls({}),
    want: () => ({ result: "ok", status: 200, certExpiresAt: pki.valid.notAfter.getTime() }),
  },
  {
    name: "valid certificate, by host name",
    url: () => httpsUrl("valid", "localhost"),
    target: () => withTls({}, { probe: { ipFamily: "ipv4" } }),
    want: () => ({ result: "ok", certExpiresAt: pki.valid.notAfter.getTime() }),
  },
  {
    name: "expired certificate",
    url: () => httpsUrl("expired"),
    target: () => withTls({}),
    want: () => ({
      result: "failed",
      reason: "cert_expired",
      detail: "certificate has expired (notAfter 2021-01-01T00:00:00Z)",
      certExpiresAt: EXPIRED_NOT_AFTER.getTime(),
      status: null,
    }),
  },
  {
    name: "wrong host",
    url: () => httpsUrl("wrongHost"),
    target: () => withTls({}),
    want: () => ({
      result: "failed",
      reason: "tls",
      detail: "certificate is valid for DNS:wrong.example, not 127.0.0.1",
    }),
  },
  {
    name: "wrong host, named by server_name",
    url: () => httpsUrl("wrongHost"),
    target: () => withTls({ serverName: "wrong.example" }),
    want: () => ({ result: "ok", status: 200 }),
  },
  {
    name: "self-signed certificate",
    url: () => httpsUrl("selfSigned"),
    target: () => withTls({}),
    want: () => ({
      result: "failed",
      reason: "tls",
      detail: "self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)",
    }),
  },
  {
    name: "self-signed certificate with insecure_skip_verify",
    url: () => httpsUrl("selfSigned"),
    target: () => withTls({ insecureSkipVerify: true }),
    want: () => ({ result: "ok", status: 200, certExpiresAt: pki.selfSigned.notAfter.getTime() }),
  },
  {
    name: "unknown CA (system roots only)",
    url: () => httpsUrl("valid"),
    target: () => withTls({ caFile: null }),
    want: () => ({
      result: "failed",
      reason: "tls",
      detail: "unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
    }),
  },
  {
    // a missing file is a config error at load (test/config/connection-resources.test.ts)
    name: "a ca_file the loader never read (a spec built by hand)",
    url: () => httpsUrl("valid"),
    target: () => withTls({ caFile: "/nonexistent/ca.pem" }),
    want: () => ({
      result: "failed",
      reason: "tls",
      detail: "TLS files named but not loaded (the configuration loader reads them)",
    }),
    handshake: false,
  },
  {
    name: "TLS to a plain HTTP port",
    url: () => httpsUrl("plainHttp"),
    target: () => withTls({}),
    want: () => ({
      result: "failed",
      reason: "tls",
      detail: "TLS handshake failed: wrong version number",
    }),
  },
  {
    name: "certificate expiring within cert_expires_within",
    url: () => httpsUrl("expiringSoon"),
    target: () => withTls({}, { degraded: { certExpiresWithin: 14 * DAY } }),
    want: () => ({
      result: "degraded",
      reason: "cert_expiring",
      detail: `certificate expires in 8d (notAfter ${pki.expiringSoon.notAfter.toISOString().replace(".000Z", "Z")})`,
      certExpiresAt: pki.expiringSoon.notAfter.getTime(),
    }),
  },
];

describe("probeHttp over TLS", () => {
  it.each(cases)("$name", async ({ url, target, want, handshake = true }) => {
    const result = await probeHttp(httpTarget(url(), target()), options);
    expect(result).toMatchObject(want());
    expect(result.phases.tls > 0).toBe(handshake);
  });

  it("a handshake that never comes times out, and the socket is freed", async () => {
    const server = servers.noHandshake as TestServer;
    const accepted = server.connections.length;
    const started = performance.now();
    const result = await probeHttp(
      httpTarget(httpsUrl("noHandshake"), withTls({}, { timeout: 300 })),
      options,
    );
    const ended = performance.now();
    expect(result).toMatchObject({
      result: "failed",
      reason: "timeout",
      detail: "timeout after 300ms (TLS handshake)",
    });
    expect(ended - started).toBeLessThan(400);
    const closedAt = await server.connections[accepted]?.closed;
    expect((closedAt ?? Number.POSITIVE_INFINITY) - ended).toBeLessThan(100);
  });
});

describe("sockets", () => {
  it("leaves no client socket open once every probe has returned", async () => {
    expect(await settleOpenTcpSockets(1000)).toBe(0);
    for (const server of Object.values(servers)) await server.close();
    expect(await settleOpenTcpSockets(200)).toBe(0);
  });
});
