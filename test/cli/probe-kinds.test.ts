/**
 * `pantau probe` on dns and grpc targets, the real binary against loopback servers: the result
 * block shows what those kinds measure (the rcode, the records and the transport; the gRPC status
 * and the serving status), and the exit code follows the verdict.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { type DnsTestServer, startDnsServer } from "../support/servers/dns-server.js";
import {
  type HealthServer,
  NOT_SERVING,
  SERVING,
  startHealthServer,
} from "../support/servers/grpc-health-server.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-cli-kinds-"));
let dns: DnsTestServer;
let grpc: HealthServer;
let config: string;

beforeAll(async () => {
  dns = await startDnsServer();
  grpc = await startHealthServer({ services: { "": SERVING, "simkim.Core": NOT_SERVING } });
  config = join(dir, "kinds.yaml");
  writeFileSync(
    config,
    [
      "targets:",
      `  - { id: resolver, dns: { server: "${dns.address}", query_name: big.zoo.example } }`,
      `  - { id: nx, dns: { server: "${dns.address}", query_name: nx.zoo.example } }`,
      `  - { id: simkim, grpc: { host: 127.0.0.1, port: ${grpc.port} } }`,
      `  - { id: core, grpc: { host: 127.0.0.1, port: ${grpc.port}, service: simkim.Core } }`,
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  await dns.close();
  await grpc.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("pantau probe, dns and grpc targets", () => {
  it("a DNS answer: rcode, records, and TCP after a truncated UDP answer", async () => {
    const result = await runCli(["probe", "--config", config, "resolver"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `target        resolver (dns://${dns.address}/big.zoo.example?type=A)\nresult        ok\n`,
    );
    expect(result.stdout).toContain(
      "\nrcode         NOERROR\nrecords       answer 40, authority 0, additional 0\ntransport     tcp (the UDP answer was truncated)\n",
    );
  });

  it("a DNS rcode not expected exits 1", async () => {
    const result = await runCli(["probe", "--config", config, "nx"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "\nreason        rcode\ndetail        rcode NXDOMAIN not in NOERROR\n",
    );
    expect(result.stdout).toContain(
      "\nrcode         NXDOMAIN\nrecords       answer 0, authority 1",
    );
  });

  it("a gRPC server SERVING", async () => {
    const result = await runCli(["probe", "--config", config, "simkim"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("\ndetail        SERVING\n");
    expect(result.stdout).toContain("\ngrpc status   0 OK\nserving       SERVING\n");
  });

  it("a gRPC service NOT_SERVING exits 1", async () => {
    const result = await runCli(["probe", "--config", config, "core"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '\nreason        not_serving\ndetail        NOT_SERVING (service "simkim.Core")\n',
    );
    expect(result.stdout).toContain("\ngrpc status   0 OK\nserving       NOT_SERVING\n");
  });
});
