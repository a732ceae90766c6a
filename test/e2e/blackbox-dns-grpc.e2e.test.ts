/**
 * The zoo: DNS and gRPC health endpoints on loopback, each probed by pantau (its config loaded
 * as a file would be) and by Debian's blackbox_exporter (its `dns` and `grpc` modules, a real
 * process, `/probe?module=…&target=…`, probe_success), case by case. DNS runs against Debian's
 * unbound serving a local zone, plus pantau's test server for what a real server will not do
 * (a truncated answer with a dead TCP side, garbage, a wrong id); gRPC against grpc-js health
 * servers, plain and TLS. Each case states both verdicts; where they differ by design the case
 * says why, and docs/probes.md holds this run's table.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Target } from "../../src/config/types.js";
import { formatConfigIssue } from "../../src/fields/errors.js";
import { probeTarget } from "../../src/probe/registry.js";
import { systemClock } from "../../src/time/clock.js";
import { type RunningBlackbox, startBlackbox } from "../support/external/blackbox.js";
import { type RunningUnbound, startUnbound } from "../support/external/unbound.js";
import { type DnsTestServer, startDnsServer } from "../support/servers/dns-server.js";
import {
  type HealthServer,
  NOT_SERVING,
  SERVICE_UNKNOWN,
  SERVING,
  startHealthServer,
  UNKNOWN,
} from "../support/servers/grpc-health-server.js";
import {
  acceptAndHold,
  startHttpServer,
  startRawServer,
  type TestServer,
  unusedPort,
} from "../support/servers/loopback.js";
import { type TestPki, testPki } from "../support/tls-certs.js";

type Verdict = "up" | "down";

interface ZooCase {
  name: string;
  /** Who answers: `unbound`, `test server`, `grpc-js`, … (the table's column). */
  server: string;
  /** pantau's prober block, `{ dns: {...} }` or `{ grpc: {...} }`. */
  pantau: () => Record<string, unknown>;
  /** blackbox_exporter's module and the target it is asked for. */
  blackbox: () => { module: Record<string, unknown>; target: string };
  want: Verdict;
  /** pantau's reason when down. */
  reason?: string;
  /** blackbox_exporter's verdict where it differs from pantau's by design, and why. */
  blackboxWant?: Verdict | "no answer";
  why?: string;
  /**
   * Where blackbox_exporter reaches the same verdict only after this many seconds, past the
   * module's timeout (checked against its probe_duration_seconds), and why.
   */
  blackboxLate?: { seconds: number; why: string };
}

const TIMEOUT = "2s";
const dir = mkdtempSync(join(tmpdir(), "pantau-zoo-"));
let unbound: RunningUnbound;
let dnsTest: DnsTestServer;
let dnsTestNoTcp: DnsTestServer;
let closedPort: number;
let pki: TestPki;
const grpc: Record<string, HealthServer> = {};
let http1: TestServer;
let silent: TestServer;
let blackbox: RunningBlackbox;

// --- DNS ------------------------------------------------------------------------------------

const ZONE = [
  'local-zone: "zoo.example." static',
  'local-data: "zoo.example. 3600 IN SOA ns.zoo.example. hostmaster.zoo.example. 2024062001 3600 600 86400 300"',
  'local-data: "zoo.example. 3600 IN NS ns.zoo.example."',
  'local-data: "ns.zoo.example. 3600 IN A 127.0.0.1"',
  'local-data: "www.zoo.example. 300 IN A 192.0.2.10"',
  'local-data: "www.zoo.example. 300 IN AAAA 2001:db8::10"',
  'local-data: "alias.zoo.example. 300 IN CNAME www.zoo.example."',
  'local-data: "zoo.example. 300 IN MX 10 mail.zoo.example."',
  "local-data: 'zoo.example. 300 IN TXT \"v=spf1 -all\"'",
  'local-data: "_grpc._tcp.zoo.example. 300 IN SRV 0 5 50051 www.zoo.example."',
  'local-data: "multi.zoo.example. 300 IN A 192.0.2.1"',
  'local-data: "multi.zoo.example. 300 IN A 192.0.2.2"',
  // 40 records: 640 bytes, over UDP's 512 without EDNS, so unbound truncates the UDP answer
  ...Array.from(
    { length: 40 },
    (_, i) => `local-data: "big.zoo.example. 300 IN A 192.0.2.${i + 1}"`,
  ),
  'local-zone: "refused.example." refuse',
  // dropped without an answer: a server that never answers
  'local-zone: "dropped.example." deny',
];

/** A DNS case: the same `dns` settings for both, the server as pantau's key and blackbox's target. */
function dns(
  name: string,
  server: string,
  address: () => string,
  settings: Record<string, unknown>,
  verdict: Pick<ZooCase, "want" | "reason" | "blackboxWant" | "why" | "blackboxLate">,
): ZooCase {
  const { transport, ...common } = settings as { transport?: string };
  return {
    name,
    server,
    pantau: () => ({ dns: { server: address(), ...common, ...(transport ? { transport } : {}) } }),
    blackbox: () => ({
      module: {
        prober: "dns",
        timeout: TIMEOUT,
        dns: {
          preferred_ip_protocol: "ip4",
          ...common,
          ...(transport ? { transport_protocol: transport } : {}),
        },
      },
      target: address(),
    }),
    ...verdict,
  };
}

const viaUnbound = () => unbound.address;
const viaTest = () => dnsTest.address;
const up = { want: "up" } as const;
const down = (reason: string) => ({ want: "down", reason }) as const;

const DNS_CASES: ZooCase[] = [
  dns(
    "A: NOERROR with the address",
    "unbound",
    viaUnbound,
    {
      query_name: "www.zoo.example",
      query_type: "A",
      validate_answer_rrs: {
        fail_if_not_matches_regexp: ["^www\\.zoo\\.example\\.\t300\tIN\tA\t192\\.0\\.2\\.10$"],
      },
    },
    up,
  ),
  dns(
    "AAAA",
    "unbound",
    viaUnbound,
    {
      query_name: "www.zoo.example",
      query_type: "AAAA",
      validate_answer_rrs: { fail_if_not_matches_regexp: ["\tAAAA\t2001:db8::10$"] },
    },
    up,
  ),
  dns(
    "CNAME",
    "unbound",
    viaUnbound,
    {
      query_name: "alias.zoo.example",
      query_type: "CNAME",
      validate_answer_rrs: { fail_if_not_matches_regexp: ["\tCNAME\twww\\.zoo\\.example\\.$"] },
    },
    up,
  ),
  dns(
    "MX",
    "unbound",
    viaUnbound,
    {
      query_name: "zoo.example",
      query_type: "MX",
      validate_answer_rrs: { fail_if_not_matches_regexp: ["\tMX\t10 mail\\.zoo\\.example\\.$"] },
    },
    up,
  ),
  dns(
    "TXT",
    "unbound",
    viaUnbound,
    {
      query_name: "zoo.example",
      query_type: "TXT",
      validate_answer_rrs: { fail_if_not_matches_regexp: ['\tTXT\t"v=spf1 -all"$'] },
    },
    up,
  ),
  dns(
    "NS",
    "unbound",
    viaUnbound,
    {
      query_name: "zoo.example",
      query_type: "NS",
      validate_answer_rrs: { fail_if_not_matches_regexp: ["\tNS\tns\\.zoo\\.example\\.$"] },
    },
    up,
  ),
  dns(
    "SOA",
    "unbound",
    viaUnbound,
    {
      query_name: "zoo.example",
      query_type: "SOA",
      validate_answer_rrs: {
        fail_if_not_matches_regexp: [
          "\tSOA\tns\\.zoo\\.example\\. hostmaster\\.zoo\\.example\\. 2024062001 ",
        ],
      },
    },
    up,
  ),
  dns(
    "SRV",
    "unbound",
    viaUnbound,
    {
      query_name: "_grpc._tcp.zoo.example",
      query_type: "SRV",
      validate_answer_rrs: {
        fail_if_not_matches_regexp: ["\tSRV\t0 5 50051 www\\.zoo\\.example\\.$"],
      },
    },
    up,
  ),
  dns(
    "NXDOMAIN",
    "unbound",
    viaUnbound,
    { query_name: "nope.zoo.example", query_type: "A" },
    down("rcode"),
  ),
  dns(
    "NXDOMAIN expected (valid_rcodes), SOA in authority",
    "unbound",
    viaUnbound,
    {
      query_name: "nope.zoo.example",
      query_type: "A",
      valid_rcodes: ["NXDOMAIN"],
      validate_authority_rrs: { fail_if_none_matches_regexp: ["\tSOA\t"] },
    },
    up,
  ),
  dns(
    "SERVFAIL (its upstream is down)",
    "unbound",
    viaUnbound,
    { query_name: "x.servfail.example", query_type: "A" },
    down("rcode"),
  ),
  dns(
    "REFUSED",
    "unbound",
    viaUnbound,
    { query_name: "x.refused.example", query_type: "A" },
    down("rcode"),
  ),
  dns(
    "no answer (NODATA), no record rule",
    "unbound",
    viaUnbound,
    { query_name: "www.zoo.example", query_type: "MX" },
    up,
  ),
  dns(
    "no answer (NODATA), fail_if_none_matches_regexp",
    "unbound",
    viaUnbound,
    {
      query_name: "www.zoo.example",
      query_type: "MX",
      validate_answer_rrs: { fail_if_none_matches_regexp: ["."] },
    },
    down("records"),
  ),
  dns(
    "wrong answer (fail_if_not_matches_regexp)",
    "unbound",
    viaUnbound,
    {
      query_name: "www.zoo.example",
      query_type: "A",
      validate_answer_rrs: { fail_if_not_matches_regexp: ["\tA\t192\\.0\\.2\\.99$"] },
    },
    down("records"),
  ),
  dns(
    "an answer to reject (fail_if_matches_regexp)",
    "unbound",
    viaUnbound,
    {
      query_name: "www.zoo.example",
      query_type: "A",
      validate_answer_rrs: { fail_if_matches_regexp: ["\t192\\.0\\.2\\.10$"] },
    },
    down("records"),
  ),
  dns(
    "fail_if_all_match_regexp, one record of two matches",
    "unbound",
    viaUnbound,
    {
      query_name: "multi.zoo.example",
      query_type: "A",
      validate_answer_rrs: { fail_if_all_match_regexp: ["\t192\\.0\\.2\\.1$"] },
    },
    down("records"),
  ),
  dns(
    "fail_if_all_match_regexp, both match",
    "unbound",
    viaUnbound,
    {
      query_name: "multi.zoo.example",
      query_type: "A",
      validate_answer_rrs: { fail_if_all_match_regexp: ["\t192\\.0\\.2\\.[12]$"] },
    },
    up,
  ),
  dns(
    "a server that never answers",
    "unbound",
    viaUnbound,
    { query_name: "x.dropped.example", query_type: "A" },
    down("timeout"),
  ),
  dns(
    "truncated over UDP, no record rule",
    "unbound",
    viaUnbound,
    { query_name: "big.zoo.example", query_type: "A" },
    up,
  ),
  dns(
    "truncated over UDP, the answer must hold a record",
    "unbound",
    viaUnbound,
    {
      query_name: "big.zoo.example",
      query_type: "A",
      validate_answer_rrs: { fail_if_none_matches_regexp: ["\t192\\.0\\.2\\.40$"] },
    },
    {
      want: "up",
      blackboxWant: "down",
      why: "pantau asks again over TCP, as a resolver does; blackbox_exporter judges the truncated UDP answer, which holds no record",
    },
  ),
  dns(
    "transport: tcp",
    "unbound",
    viaUnbound,
    {
      query_name: "big.zoo.example",
      query_type: "A",
      transport: "tcp",
      validate_answer_rrs: { fail_if_none_matches_regexp: ["\t192\\.0\\.2\\.40$"] },
    },
    up,
  ),
  dns(
    "nothing listens on the port",
    "none",
    () => `127.0.0.1:${closedPort}`,
    { query_name: "www.zoo.example", query_type: "A" },
    down("refused"),
  ),
  dns(
    "truncated, then TCP never answers",
    "test server",
    viaTest,
    { query_name: "big-tcp-hang.zoo.example", query_type: "A" },
    {
      want: "down",
      reason: "timeout",
      blackboxWant: "up",
      why: "blackbox_exporter does not ask over TCP: it passes the truncated NOERROR answer",
    },
  ),
  dns(
    "truncated, then TCP is refused",
    "test server",
    () => dnsTestNoTcp.address,
    { query_name: "big.zoo.example", query_type: "A" },
    {
      want: "down",
      reason: "refused",
      blackboxWant: "up",
      why: "the same: the truncated UDP answer is all blackbox_exporter reads",
    },
  ),
  dns(
    "a malformed answer",
    "test server",
    viaTest,
    { query_name: "garbage.zoo.example", query_type: "A" },
    down("protocol"),
  ),
  dns(
    "an answer with another id",
    "test server",
    viaTest,
    { query_name: "wrong-id.zoo.example", query_type: "A" },
    down("protocol"),
  ),
];

// --- gRPC -----------------------------------------------------------------------------------

/** A gRPC case: pantau's host and port keys, blackbox_exporter's `host:port` target. */
function grpcCase(
  name: string,
  server: string,
  port: () => number,
  settings: {
    host?: string;
    service?: string;
    tls?: boolean;
    tls_config?: () => Record<string, unknown>;
  },
  verdict: Pick<ZooCase, "want" | "reason" | "blackboxWant" | "why" | "blackboxLate">,
): ZooCase {
  const host = settings.host ?? "127.0.0.1";
  const common = () => ({
    ...(settings.service ? { service: settings.service } : {}),
    ...(settings.tls ? { tls: true } : {}),
    ...(settings.tls_config ? { tls_config: settings.tls_config() } : {}),
  });
  return {
    name,
    server,
    pantau: () => ({ grpc: { host, port: port(), ...common() } }),
    blackbox: () => ({
      module: {
        prober: "grpc",
        timeout: TIMEOUT,
        grpc: { preferred_ip_protocol: "ip4", ...common() },
      },
      target: `${host}:${port()}`,
    }),
    ...verdict,
  };
}

/** How long a case blackbox_exporter never answers is given (past grpc-go's 20 s). */
const NO_ANSWER_WAIT_MS = 25_000;
const GRPC_CONNECT_TIMEOUT = {
  seconds: 20,
  why: "blackbox_exporter's grpc module answers after grpc-go's 20 s connect timeout, not the module's 2 s",
};
const portOf = (name: string) => () => grpc[name]?.port ?? 0;
const withCa =
  (more: Record<string, unknown> = {}) =>
  () => ({ ca_file: pki.caFile, ...more });

const GRPC_CASES: ZooCase[] = [
  grpcCase("SERVING (the server)", "grpc-js", portOf("plain"), {}, up),
  grpcCase("SERVING (a named service)", "grpc-js", portOf("plain"), { service: "simkim.Core" }, up),
  grpcCase(
    "NOT_SERVING",
    "grpc-js",
    portOf("plain"),
    { service: "simkim.Down" },
    down("not_serving"),
  ),
  grpcCase(
    "SERVICE_UNKNOWN",
    "grpc-js",
    portOf("plain"),
    { service: "simkim.Unknown" },
    down("not_serving"),
  ),
  grpcCase("UNKNOWN", "grpc-js", portOf("plain"), { service: "simkim.Zero" }, down("not_serving")),
  grpcCase(
    "an unknown service (NOT_FOUND)",
    "grpc-js",
    portOf("plain"),
    { service: "simkim.Nope" },
    down("grpc_status"),
  ),
  grpcCase(
    "no Health service (UNIMPLEMENTED)",
    "grpc-js",
    portOf("noHealth"),
    {},
    down("grpc_status"),
  ),
  grpcCase(
    "the Check call never answers",
    "grpc-js",
    portOf("plain"),
    { service: "simkim.Hang" },
    {
      ...down("timeout"),
      blackboxWant: "no answer",
      why: `blackbox_exporter's grpc module sets no deadline on the Check call: no answer within ${NO_ANSWER_WAIT_MS / 1000} s, so Prometheus' scrape of it times out`,
    },
  ),
  grpcCase("nothing listens on the port", "none", () => closedPort, {}, down("refused")),
  grpcCase(
    "the connection is accepted, then silence",
    "node:net",
    () => silent.port,
    {},
    { ...down("timeout"), blackboxLate: GRPC_CONNECT_TIMEOUT },
  ),
  grpcCase("an HTTP/1.1 server", "node:http", () => http1.port, {}, down("protocol")),
  grpcCase(
    "TLS, the CA given",
    "grpc-js TLS",
    portOf("tls"),
    { host: "localhost", tls: true, tls_config: withCa() },
    up,
  ),
  grpcCase(
    "TLS, an expired certificate",
    "grpc-js TLS",
    portOf("expired"),
    { host: "localhost", tls: true, tls_config: withCa() },
    down("cert_expired"),
  ),
  grpcCase(
    "TLS, a certificate for another host",
    "grpc-js TLS",
    portOf("wrongHost"),
    { host: "localhost", tls: true, tls_config: withCa() },
    down("tls"),
  ),
  grpcCase(
    "TLS, another host, server_name set to it",
    "grpc-js TLS",
    portOf("wrongHost"),
    { host: "localhost", tls: true, tls_config: withCa({ server_name: "wrong.example" }) },
    up,
  ),
  grpcCase(
    "TLS, self-signed",
    "grpc-js TLS",
    portOf("selfSigned"),
    { host: "localhost", tls: true, tls_config: withCa() },
    down("tls"),
  ),
  grpcCase(
    "TLS, self-signed, insecure_skip_verify",
    "grpc-js TLS",
    portOf("selfSigned"),
    { host: "localhost", tls: true, tls_config: withCa({ insecure_skip_verify: true }) },
    up,
  ),
  grpcCase("plain to a TLS server", "grpc-js TLS", portOf("tls"), {}, down("reset")),
  grpcCase(
    "TLS to a plain server",
    "grpc-js",
    portOf("plain"),
    { tls: true, tls_config: withCa() },
    down("tls"),
  ),
];

// --- the run --------------------------------------------------------------------------------

const ALL = [...DNS_CASES, ...GRPC_CASES];
const moduleName = (index: number) => `zoo_${index}`;

beforeAll(async () => {
  pki = testPki();
  const servfailUpstream = await unusedPort();
  unbound = await startUnbound({
    dir,
    serverLines: ZONE,
    // an upstream that refuses TCP: unbound answers SERVFAIL for the zone at once
    more: [
      "forward-zone:",
      '  name: "servfail.example."',
      `  forward-addr: 127.0.0.1@${servfailUpstream}`,
      "  forward-tcp-upstream: yes",
    ],
    readyName: "www.zoo.example",
  });
  dnsTest = await startDnsServer();
  dnsTestNoTcp = await startDnsServer({ tcp: false });
  closedPort = await unusedPort();
  grpc.plain = await startHealthServer({
    services: {
      "": SERVING,
      "simkim.Core": SERVING,
      "simkim.Down": NOT_SERVING,
      "simkim.Unknown": SERVICE_UNKNOWN,
      "simkim.Zero": UNKNOWN,
      "simkim.Hang": { hang: true },
    },
  });
  grpc.noHealth = await startHealthServer({});
  for (const name of ["valid", "expired", "wrongHost", "selfSigned"] as const) {
    grpc[name === "valid" ? "tls" : name] = await startHealthServer({
      services: { "": SERVING },
      tls: pki[name],
    });
  }
  http1 = await startHttpServer((_request, response) => response.end("ok"));
  silent = await startRawServer(acceptAndHold);
  blackbox = await startBlackbox({
    dir,
    modules: Object.fromEntries(
      ALL.map((zoo, index) => [moduleName(index), zoo.blackbox().module]),
    ),
  });
});

afterAll(async () => {
  await blackbox?.stop();
  await unbound?.stop();
  for (const server of [dnsTest, dnsTestNoTcp, http1, silent, ...Object.values(grpc)])
    await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function targetOf(index: number, block: Record<string, unknown>): Target {
  const parsed = parseConfig(
    JSON.stringify({
      global: { timeout: TIMEOUT, interval: "1m" },
      targets: [{ id: `zoo-${index}`, ...block }],
    }),
    "zoo.yaml",
    {},
  );
  if (!parsed.ok) throw new Error(parsed.issues.map(formatConfigIssue).join("\n"));
  return parsed.config.targets[0] as Target;
}

interface Row {
  zoo: ZooCase;
  pantau: Verdict;
  reason: string | null;
  blackbox: Verdict | "no answer";
}

const rows: Row[] = [];

describe("the zoo: blackbox_exporter's verdict beside pantau's", () => {
  it.each(ALL.map((zoo, index) => [zoo.name, zoo, index] as const))(
    "%s",
    async (_name, zoo, index) => {
      const [result, verdict] = await Promise.all([
        probeTarget(targetOf(index, zoo.pantau()), { clock: systemClock }),
        blackbox.probe(
          moduleName(index),
          zoo.blackbox().target,
          zoo.blackboxLate
            ? (zoo.blackboxLate.seconds + 10) * 1000
            : zoo.blackboxWant === "no answer"
              ? NO_ANSWER_WAIT_MS
              : undefined,
        ),
      ]);
      const pantau: Verdict = result.result === "failed" ? "down" : "up";
      const theirs = verdict.success === null ? "no answer" : verdict.success ? "up" : "down";
      rows.push({ zoo, pantau, reason: result.reason, blackbox: theirs });
      expect({ pantau, reason: pantau === "down" ? result.reason : null }, result.detail).toEqual({
        pantau: zoo.want,
        reason: zoo.want === "down" ? zoo.reason : null,
      });
      expect(theirs, verdict.text).toBe(zoo.blackboxWant ?? zoo.want);
      const took = Number(/^probe_duration_seconds (\S+)/m.exec(verdict.text)?.[1]);
      if (zoo.blackboxLate) expect(took).toBeGreaterThan(zoo.blackboxLate.seconds - 1);
      else if (verdict.success !== null) expect(took).toBeLessThan(3);
    },
  );

  it("docs/probes.md holds this run's table", () => {
    expect(rows.length).toBe(ALL.length);
    const table = zooTable(rows);
    process.stdout.write(`\n${table}\n`);
    expect(readFileSync("docs/probes.md", "utf8")).toContain(table);
  });
});

function zooTable(all: readonly Row[]): string {
  const lines = [
    "| # | case | server | pantau | blackbox_exporter | agree |",
    "|---|---|---|---|---|---|",
    ...all.map((row, index) => {
      const pantau = row.pantau === "down" ? `down (\`${row.reason}\`)` : "up";
      const late = row.zoo.blackboxLate ? ` (${row.zoo.blackboxLate.why})` : "";
      const agree = row.pantau === row.blackbox ? `yes${late}` : `no: ${row.zoo.why ?? "?"}`;
      const kind = DNS_CASES.includes(row.zoo) ? "dns" : "grpc";
      return `| ${index + 1} | ${kind}: ${row.zoo.name} | ${row.zoo.server} | ${pantau} | ${row.blackbox} | ${agree} |`;
    }),
  ];
  return lines.join("\n");
}
