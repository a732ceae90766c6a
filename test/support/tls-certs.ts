/**
 * Test certificates, made at test time with node-forge: a CA and leaves it signs for
 * `localhost` / 127.0.0.1 / ::1 (valid, expired, expiring soon, wrong host), a self-signed
 * leaf, and client certificates (one the CA signs, one it does not). Three RSA 2048 keys are
 * generated (the CA's, one shared by every leaf, the stranger client's), once per test file:
 * `testPki()` caches them for the life of the module.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import forge from "node-forge";
import { loadTlsCredentials } from "../../src/config/tls-files.js";
import type { TlsSettings } from "../../src/fields/connection-fields.js";
import { NO_TLS_FILES } from "./targets.js";

export interface TestCertificate {
  /** PEM private key. */
  key: string;
  /** PEM certificate. */
  cert: string;
  notAfter: Date;
}

export interface TestPki {
  ca: TestCertificate;
  /** The CA certificate written to a temp file, for `tls.caFile`. */
  caFile: string;
  /** Signed by the CA for localhost, 127.0.0.1 and ::1; expires in a year. */
  valid: TestCertificate;
  /** Signed by the CA; notAfter 2021-01-01T00:00:00Z. */
  expired: TestCertificate;
  /** Signed by the CA; expires in 9 days. */
  expiringSoon: TestCertificate;
  /** Signed by the CA for `wrong.example` only. */
  wrongHost: TestCertificate;
  /** For localhost, signed by its own key. */
  selfSigned: TestCertificate;
  /** A client certificate (`pantau-probe`, clientAuth) the CA signs. */
  client: TestCertificate;
  /** A client certificate the CA does not know (self-signed, its own key). */
  strangerClient: TestCertificate;
  /** PEM files of the client certificates, for `tls.certFile` / `tls.keyFile`. */
  files: { clientCert: string; clientKey: string; strangerCert: string; strangerKey: string };
}

const DAY = 86_400_000;
export const EXPIRED_NOT_AFTER = new Date("2021-01-01T00:00:00Z");
const LOCAL_NAMES = [
  { type: 2, value: "localhost" },
  { type: 7, ip: "127.0.0.1" },
  { type: 7, ip: "::1" },
];

let cached: TestPki | null = null;

/** The test PKI of this test file, generated on first use. */
export function testPki(): TestPki {
  cached ??= generatePki();
  return cached;
}

function generatePki(): TestPki {
  // forge hands 2048-bit generation to node:crypto when it can: fast enough for tests
  const caKeys = forge.pki.rsa.generateKeyPair(2048);
  const leafKeys = forge.pki.rsa.generateKeyPair(2048);
  const strangerKeys = forge.pki.rsa.generateKeyPair(2048);
  const now = wholeSecond(Date.now());
  const ca = issue({
    subject: "pantau test CA",
    names: null,
    keys: caKeys,
    issuer: null,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 3650 * DAY),
  });
  const leaf = (names: object[], notBefore: Date, notAfter: Date): TestCertificate =>
    issue({
      subject: "localhost",
      names,
      keys: leafKeys,
      issuer: { keys: caKeys, cert: ca },
      notBefore,
      notAfter,
    });
  const client = issue({
    subject: "pantau-probe",
    names: [],
    usage: "client",
    keys: leafKeys,
    issuer: { keys: caKeys, cert: ca },
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  const strangerClient = issue({
    subject: "pantau-probe",
    names: [],
    usage: "client",
    keys: strangerKeys,
    issuer: null,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  return {
    ca,
    caFile: writeTemp("ca.pem", ca.cert),
    client,
    strangerClient,
    files: {
      clientCert: writeTemp("client.pem", client.cert),
      clientKey: writeTemp("client-key.pem", client.key),
      strangerCert: writeTemp("stranger.pem", strangerClient.cert),
      strangerKey: writeTemp("stranger-key.pem", strangerClient.key),
    },
    valid: leaf(LOCAL_NAMES, new Date(now - DAY), new Date(now + 365 * DAY)),
    expired: leaf(LOCAL_NAMES, new Date("2020-01-01T00:00:00Z"), EXPIRED_NOT_AFTER),
    expiringSoon: leaf(LOCAL_NAMES, new Date(now - DAY), new Date(now + 9 * DAY)),
    wrongHost: leaf(
      [{ type: 2, value: "wrong.example" }],
      new Date(now - DAY),
      new Date(now + 365 * DAY),
    ),
    selfSigned: issue({
      subject: "localhost",
      names: LOCAL_NAMES,
      keys: leafKeys,
      issuer: null,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 365 * DAY),
    }),
  };
}

interface IssueRequest {
  subject: string;
  /** subjectAltName entries for a leaf; null for a CA. */
  names: object[] | null;
  /** What a leaf is for: a server (the default) or a client. */
  usage?: "server" | "client";
  keys: forge.pki.rsa.KeyPair;
  /** The signing CA; null for a self-signed certificate. */
  issuer: { keys: forge.pki.rsa.KeyPair; cert: TestCertificate } | null;
  notBefore: Date;
  notAfter: Date;
}

function issue(request: IssueRequest): TestCertificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = request.keys.publicKey;
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(8))}`;
  cert.validity.notBefore = request.notBefore;
  cert.validity.notAfter = request.notAfter;
  const subject = [{ name: "commonName", value: request.subject }];
  cert.setSubject(subject);
  const issuerCert = request.issuer ? forge.pki.certificateFromPem(request.issuer.cert.cert) : null;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : subject);
  cert.setExtensions(
    request.names === null
      ? [
          { name: "basicConstraints", cA: true, critical: true },
          { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        ]
      : [
          { name: "basicConstraints", cA: false },
          { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
          request.usage === "client"
            ? { name: "extKeyUsage", clientAuth: true }
            : { name: "extKeyUsage", serverAuth: true },
          ...(request.names.length > 0
            ? [{ name: "subjectAltName", altNames: request.names }]
            : []),
        ],
  );
  const signingKey = request.issuer ? request.issuer.keys.privateKey : request.keys.privateKey;
  cert.sign(signingKey, forge.md.sha256.create());
  return {
    key: forge.pki.privateKeyToPem(request.keys.privateKey),
    cert: forge.pki.certificateToPem(cert),
    notAfter: request.notAfter,
  };
}

function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

let tempDir: string | null = null;

/** Writes `content` to `name` in this test file's temporary folder; returns its path. */
export function writeTemp(name: string, content: string): string {
  if (tempDir === null) {
    const dir = mkdtempSync(join(tmpdir(), "pantau-certs-"));
    tempDir = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  const path = join(tempDir, name);
  writeFileSync(path, content);
  return path;
}

/**
 * TLS settings with their files read by the config loader's own code, as a loaded config
 * carries them: probe tests build specs by hand, and a probe never reads a file itself.
 */
export async function loadedTls(settings: Partial<TlsSettings>): Promise<TlsSettings> {
  const resolved: TlsSettings = { ...NO_TLS_FILES, ...settings };
  const credentials = await loadTlsCredentials(resolved);
  if (Array.isArray(credentials)) {
    throw new Error(`test TLS files unusable: ${JSON.stringify(credentials)}`);
  }
  return { ...resolved, credentials };
}
