/**
 * What a target's connection needs from this host is checked when the file is loaded (start,
 * `pantau check`, every reload), never left to a probe: the TLS files (read, parsed, paired)
 * and the source address (assigned here, of the right family). Each mistake: its exact
 * message at the line and column of the key at fault. A reload reads the files again.
 */
import { createPrivateKey } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { targetChanges } from "../../src/config/reload-diff.js";
import type { Config } from "../../src/config/types.js";
import { formatConfigIssue } from "../../src/fields/errors.js";
import type { HttpProbeSpec } from "../../src/probe/http.js";
import { probeHttp } from "../../src/probe/http.js";
import { systemClock } from "../../src/time/clock.js";
import { type TestPki, testPki, writeTemp } from "../support/tls-certs.js";

let pki: TestPki;
let dir: string;

beforeAll(() => {
  pki = testPki();
  dir = writeTemp("dir-marker", "").replace(/dir-marker$/, "");
  mkdirSync(`${dir}a-directory`, { recursive: true });
  writeTemp("empty.pem", "");
  writeTemp("not-pem.pem", "hello\n");
  const encrypted = createPrivateKey(pki.client.key).export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: "secret",
  });
  writeTemp("encrypted-key.pem", String(encrypted));
});

/** Writes `yaml` as this test's config file and loads it. */
async function load(name: string, yaml: string) {
  const file = writeTemp(name, yaml);
  return { file, result: await loadConfig(file, {}, { hostname: "test-host" }) };
}

async function issuesOf(yaml: string): Promise<string[]> {
  const { file, result } = await load("pantau.yaml", yaml);
  if (result.ok) throw new Error("loaded without issues");
  return result.issues.map(
    (issue) => `${formatConfigIssue(issue).replace(`${file}:`, "")} [${issue.code}]`,
  );
}

/** The first target's HTTP spec. */
function httpSpec(config: Config): HttpProbeSpec {
  const [target] = config.targets;
  if (target === undefined) throw new Error("no target");
  return target.probe as HttpProbeSpec;
}

/** An https target whose tls block is `tls` (one `key: value` a line, at line 6). */
function httpsTarget(tls: string): string {
  const lines = tls
    .trim()
    .split("\n")
    .map((line) => `        ${line}`)
    .join("\n");
  return `targets:
  - id: portal
    http:
      url: https://127.0.0.1:8443/
      tls:
${lines}
`;
}

const files = () => ({
  cert: pki.files.clientCert,
  key: pki.files.clientKey,
  strangerKey: pki.files.strangerKey,
  dir: `${dir}a-directory`,
  empty: `${dir}empty.pem`,
  notPem: `${dir}not-pem.pem`,
  encrypted: `${dir}encrypted-key.pem`,
});

describe("TLS files: a config error at load, at the key at fault", () => {
  const cases: { name: string; tls: () => string; want: () => string[] }[] = [
    {
      name: "cert_file does not exist",
      tls: () => `cert_file: /nonexistent/client.pem\nkey_file: ${files().key}`,
      want: () => [
        '6:20: targets[0].http.tls.cert_file: cannot read "/nonexistent/client.pem" (ENOENT) [CONFIG_TLS]',
      ],
    },
    {
      name: "key_file cannot be read (a directory)",
      tls: () => `cert_file: ${files().cert}\nkey_file: ${files().dir}`,
      want: () => [
        `7:19: targets[0].http.tls.key_file: cannot read "${files().dir}" (EISDIR) [CONFIG_TLS]`,
      ],
    },
    {
      name: "the key is not the certificate's",
      tls: () => `cert_file: ${files().cert}\nkey_file: ${files().strangerKey}`,
      want: () => [
        "7:19: targets[0].http.tls.key_file: is not the private key of cert_file (key values mismatch) [CONFIG_TLS]",
      ],
    },
    {
      name: "cert_file without key_file",
      tls: () => `cert_file: ${files().cert}`,
      want: () => [
        "6:20: targets[0].http.tls.cert_file: needs key_file (the certificate's private key) [CONFIG_TLS]",
      ],
    },
    {
      name: "key_file without cert_file",
      tls: () => `key_file: ${files().key}`,
      want: () => [
        "6:19: targets[0].http.tls.key_file: needs cert_file (the certificate it belongs to) [CONFIG_TLS]",
      ],
    },
    {
      name: "an empty key_file",
      tls: () => `cert_file: ${files().cert}\nkey_file: ${files().empty}`,
      want: () => [`7:19: targets[0].http.tls.key_file: "${files().empty}" is empty [CONFIG_TLS]`],
    },
    {
      name: "a key_file that is no PEM key",
      tls: () => `cert_file: ${files().cert}\nkey_file: ${files().notPem}`,
      want: () => [
        "7:19: targets[0].http.tls.key_file: holds no PEM private key pantau can use (unsupported) [CONFIG_TLS]",
      ],
    },
    {
      name: "a cert_file that is no PEM certificate",
      tls: () => `cert_file: ${files().notPem}\nkey_file: ${files().key}`,
      want: () => [
        "6:20: targets[0].http.tls.cert_file: holds no PEM certificate pantau can use (no start line) [CONFIG_TLS]",
      ],
    },
    {
      name: "an encrypted key",
      tls: () => `cert_file: ${files().cert}\nkey_file: ${files().encrypted}`,
      want: () => [
        "7:19: targets[0].http.tls.key_file: is an encrypted key: give it unencrypted (pantau takes no passphrase) [CONFIG_TLS]",
      ],
    },
    {
      name: "a ca_file without a certificate",
      tls: () => `ca_file: ${files().notPem}`,
      want: () => [
        "6:18: targets[0].http.tls.ca_file: holds no PEM certificate pantau can use [CONFIG_TLS]",
      ],
    },
  ];

  it.each(cases)("$name", async ({ tls, want }) => {
    expect(await issuesOf(httpsTarget(tls()))).toEqual(want());
  });

  it("a TCP target's tls_config is read the same way", async () => {
    const yaml = `targets:
  - id: gate
    tcp:
      host: 127.0.0.1
      port: 443
      tls: true
      tls_config: { cert_file: /nonexistent/client.pem, key_file: ${files().key} }
`;
    expect(await issuesOf(yaml)).toEqual([
      '7:32: targets[0].tcp.tls_config.cert_file: cannot read "/nonexistent/client.pem" (ENOENT) [CONFIG_TLS]',
    ]);
  });

  it("good files load, and every target naming them gets the same credentials", async () => {
    const tls = `{ ca_file: ${pki.caFile}, cert_file: ${files().cert}, key_file: ${files().key} }`;
    const { result } = await load(
      "good.yaml",
      `targets:
  - { id: a, http: { url: "https://127.0.0.1:1/", tls: ${tls} } }
  - { id: b, http: { url: "https://127.0.0.1:2/", tls: ${tls} } }
`,
    );
    if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
    const [a, b] = result.config.targets.map((target) => (target.probe as HttpProbeSpec).tls);
    expect(a?.credentials?.fingerprint).toMatch(/^[\w-]{22}$/);
    expect(b?.credentials).toBe(a?.credentials);
  });
});

describe("source_ip_address: a config error at load", () => {
  const target = (probe: string) => `targets:
  - id: portal
    ${probe}
`;
  it.each([
    {
      name: "an address no interface of this host has",
      probe: 'http: { url: "http://127.0.0.1:1/", source_ip_address: 192.0.2.1 }',
      want: [
        '3:60: targets[0].http.source_ip_address: "192.0.2.1" is not an address of this host (no interface has it) [CONFIG_SOURCE_ADDRESS]',
      ],
    },
    {
      name: "not an IP address",
      probe: 'http: { url: "http://127.0.0.1:1/", source_ip_address: eth0 }',
      want: [
        '3:60: targets[0].http.source_ip_address: "eth0" is not an IP address [CONFIG_SOURCE_ADDRESS]',
      ],
    },
    {
      name: "of the family ip_family excludes",
      probe: "tcp: { host: 127.0.0.1, port: 1, ip_family: ipv6, source_ip_address: 127.0.0.2 }",
      want: [
        '3:74: targets[0].tcp.source_ip_address: "127.0.0.2" is an IPv4 address; ip_family is ipv6 [CONFIG_SOURCE_ADDRESS]',
      ],
    },
    {
      name: "dns: an address no interface of this host has",
      probe: "dns: { server: 127.0.0.1, query_name: x.example, source_ip_address: 192.0.2.1 }",
      want: [
        '3:73: targets[0].dns.source_ip_address: "192.0.2.1" is not an address of this host (no interface has it) [CONFIG_SOURCE_ADDRESS]',
      ],
    },
    {
      name: "dns: of the family ip_family excludes",
      probe:
        "dns: { server: 127.0.0.1, query_name: x.example, ip_family: ipv6, source_ip_address: 127.0.0.2 }",
      want: [
        '3:90: targets[0].dns.source_ip_address: "127.0.0.2" is an IPv4 address; ip_family is ipv6 [CONFIG_SOURCE_ADDRESS]',
      ],
    },
    {
      name: "grpc: an address no interface of this host has",
      probe: "grpc: { host: 127.0.0.1, port: 1, source_ip_address: 192.0.2.1 }",
      want: [
        '3:58: targets[0].grpc.source_ip_address: "192.0.2.1" is not an address of this host (no interface has it) [CONFIG_SOURCE_ADDRESS]',
      ],
    },
    {
      name: "grpc: not an IP address",
      probe: "grpc: { host: 127.0.0.1, port: 1, source_ip_address: eth0 }",
      want: [
        '3:58: targets[0].grpc.source_ip_address: "eth0" is not an IP address [CONFIG_SOURCE_ADDRESS]',
      ],
    },
  ])("$name", async ({ probe, want }) => {
    expect(await issuesOf(target(probe))).toEqual(want);
  });

  it("an address of this host loads for dns and grpc too", async () => {
    const { result } = await load(
      "source-kinds.yaml",
      `targets:
  - id: ns
    dns: { server: 127.0.0.1, query_name: x.example, source_ip_address: 127.0.0.2 }
  - id: core
    grpc: { host: 127.0.0.1, port: 1, source_ip_address: 127.0.0.3 }
`,
    );
    if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
    expect(
      result.config.targets.map((t) => (t.probe as { sourceIpAddress: unknown }).sourceIpAddress),
    ).toEqual(["127.0.0.2", "127.0.0.3"]);
  });

  it("an address of this host loads (127.0.0.2: all of 127/8 is loopback)", async () => {
    const { result } = await load(
      "source.yaml",
      target('http: { url: "http://127.0.0.1:1/", source_ip_address: 127.0.0.2 }'),
    );
    if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
    expect(httpSpec(result.config).sourceIpAddress).toBe("127.0.0.2");
  });
});

describe("HTTP version and global.resolver", () => {
  it.each([
    {
      name: "version 2 over http:// (h2 is chosen in TLS)",
      yaml: 'targets:\n  - id: p\n    http: { url: "http://127.0.0.1:1/", version: 2 }\n',
      want: [
        "3:50: targets[0].http.version: version 2 needs an https:// URL (h2 is chosen in the TLS handshake); write 2c for HTTP/2 over cleartext (prior knowledge) [CONFIG_INVALID]",
      ],
    },
    {
      name: "an unknown version",
      yaml: 'targets:\n  - id: p\n    http: { url: "https://127.0.0.1:1/", version: 3 }\n',
      want: ['3:51: targets[0].http.version: expected one of 2, 1.1, 2c, got "3" [CONFIG_INVALID]'],
    },
    {
      name: "a resolver named by host name",
      yaml: 'global: { resolver: "dns.internal.example:53" }\ntargets:\n  - { id: p, tcp: { host: a.example, port: 1 } }\n',
      want: [
        '1:21: global.resolver: "dns.internal.example:53" is not a name server address (use an IP and an optional port: 127.0.0.1:5353, [::1]:53) [CONFIG_INVALID]',
      ],
    },
    {
      name: "a resolver with a port out of range",
      yaml: "global: { resolver: [127.0.0.1:5353, 127.0.0.1:70000] }\ntargets:\n  - { id: p, tcp: { host: a.example, port: 1 } }\n",
      want: [
        '1:38: global.resolver[1]: "127.0.0.1:70000" is not a name server address (use an IP and an optional port: 127.0.0.1:5353, [::1]:53) [CONFIG_INVALID]',
      ],
    },
  ])("$name", async ({ yaml, want }) => {
    expect(await issuesOf(yaml)).toEqual(want);
  });

  it("version 2c over http:// and a list of resolvers load", async () => {
    const { result } = await load(
      "ok.yaml",
      'global: { resolver: ["127.0.0.1:5353", "[::1]"] }\ntargets:\n  - id: p\n    http: { url: "http://127.0.0.1:1/", version: 2c }\n',
    );
    if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
    expect(httpSpec(result.config).version).toBe("2c");
    expect(result.config.targets[0]?.resolver).toEqual(["127.0.0.1:5353", "[::1]"]);
  });
});

describe("a reload reads the TLS files again", () => {
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    // requires a client certificate the test CA signed
    server = createHttpsServer(
      {
        key: pki.valid.key,
        cert: pki.valid.cert,
        ca: pki.ca.cert,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_request, response) => response.end("ok"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const writePair = (cert: string, key: string) => {
    writeFileSync(`${dir}renewed.pem`, cert);
    writeFileSync(`${dir}renewed-key.pem`, key);
  };

  async function loadRenewed(): Promise<Config> {
    const { result } = await load(
      "reload.yaml",
      `targets:
  - id: portal
    http:
      url: https://127.0.0.1:${port}/
      tls: { ca_file: ${pki.caFile}, cert_file: ${dir}renewed.pem, key_file: ${dir}renewed-key.pem }
`,
    );
    if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
    return result.config;
  }

  const probe = (config: Config) =>
    probeHttp(
      { ...(config.targets[0] as Config["targets"][0] & { probe: HttpProbeSpec }) },
      { clock: systemClock },
    );

  it("a file rewritten in place changes the target, and its probes present the new certificate", async () => {
    writePair(pki.strangerClient.cert, pki.strangerClient.key);
    const first = await loadRenewed();
    expect(await probe(first)).toMatchObject({ result: "failed", reason: "reset" });

    const unchanged = await loadRenewed();
    expect(targetChanges(first.targets, unchanged.targets).changed).toEqual([]);

    writePair(pki.client.cert, pki.client.key);
    const renewed = await loadRenewed();
    expect(targetChanges(first.targets, renewed.targets).changed).toEqual(["portal"]);
    expect(await probe(renewed)).toMatchObject({ result: "ok", status: 200 });
  });
});
