/**
 * The registry of prober kinds: each kind's block is in the config schema and its JSON Schema,
 * resolves to specs of its own kind, and names its prober and endpoint in /metrics with the
 * families it lists.
 */
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../../src/config/json-schema.js";
import { parseConfig } from "../../src/config/load.js";
import type { Target } from "../../src/config/types.js";
import { PantauMetrics } from "../../src/expose/metrics.js";
import { PROBER_KINDS, proberKind, RESULT_FAMILIES } from "../../src/probe/registry.js";
import { parsePromText } from "../support/prom-text.js";
import { makeResult } from "../support/targets.js";

/** One smallest block a kind; a kind without a row here fails the first test. */
const SMALLEST: Record<string, { block: unknown; endpoint: string }> = {
  http: {
    block: { url: "https://portal.example/health?x=1" },
    endpoint: "https://portal.example/health",
  },
  tcp: {
    block: { host: "simkim.internal.example", port: 443 },
    endpoint: "tcp://simkim.internal.example:443",
  },
  dns: {
    block: { server: "10.0.0.53", query_name: "www.imigrasi.go.id" },
    endpoint: "dns://10.0.0.53/www.imigrasi.go.id?type=A",
  },
  grpc: {
    block: { host: "simkim.internal.example", port: 50051 },
    endpoint: "grpc://simkim.internal.example:50051",
  },
  push: {
    block: { token: "0123456789abcdef", expect_every: "1m" },
    endpoint: "push every 1m, grace 30s",
  },
};

function targetOf(key: string, block: unknown): Target {
  const parsed = parseConfig(
    JSON.stringify({ targets: [{ id: `a-${key}`, [key]: block }] }),
    "kinds.yaml",
    {},
  );
  if (!parsed.ok) throw new Error(parsed.issues.map((issue) => issue.message).join("; "));
  return parsed.config.targets[0] as Target;
}

describe("the prober kinds", () => {
  it("each has a row in this test", () => {
    expect(PROBER_KINDS.map((kind) => kind.key).sort()).toEqual(Object.keys(SMALLEST).sort());
  });

  it.each(PROBER_KINDS.map((kind) => [kind.key, kind] as const))(
    "%s: its block loads from a file and resolves to a spec of its kind",
    (key, kind) => {
      const target = targetOf(key, SMALLEST[key]?.block);
      expect(target.probe.kind).toBe(key);
      expect(proberKind(target.probe.kind)).toBe(kind);
      expect(kind.endpoint(target.probe)).toBe(SMALLEST[key]?.endpoint);
    },
  );

  it("each has its block in the JSON Schema, strict like the loader", () => {
    const schema = configJsonSchema() as {
      properties: { targets: { items: { properties: Record<string, Record<string, unknown>> } } };
    };
    const blocks = schema.properties.targets.items.properties;
    for (const kind of PROBER_KINDS) {
      expect(blocks[kind.key], kind.key).toMatchObject({
        type: "object",
        additionalProperties: false,
      });
    }
  });

  it("lists every family of every kind once, in registry order", () => {
    expect(RESULT_FAMILIES.map((family) => family.name)).toEqual([
      "probe_http_status_code",
      "probe_http_duration_seconds",
      "probe_http_version",
      "probe_dns_lookup_time_seconds",
      "probe_dns_duration_seconds",
      "probe_dns_query_succeeded",
      "probe_dns_answer_rrs",
      "probe_dns_authority_rrs",
      "probe_dns_additional_rrs",
      "probe_grpc_status_code",
      "probe_grpc_healthcheck_response",
      "probe_grpc_duration_seconds",
    ]);
  });
});

describe("a kind in /metrics", () => {
  it("names its prober and endpoint, and sets only the families it lists (tcp: no probe_http_*)", async () => {
    const target = targetOf("tcp", { host: "::1", port: 22, tls: true });
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    metrics.syncTargets([target], () => undefined);
    const result = makeResult("ok", 0, {
      status: null,
      durationMs: 5.5,
      phases: { resolve: 0, connect: 1.5, tls: 4, processing: 0, transfer: 0 },
    });
    metrics.probeCompleted(target, result);
    const samples = parsePromText(await metrics.render()).filter(
      (sample) => sample.labels.target === "a-tcp",
    );
    expect(samples.find((sample) => sample.name === "pantau_target_info")?.labels).toMatchObject({
      prober: "tcp",
      endpoint: "tcp://[::1]:22",
    });
    const probeFamilies = [...new Set(samples.map((s) => s.name))].filter((n) =>
      n.startsWith("probe_"),
    );
    expect(probeFamilies).toEqual(["probe_success", "probe_duration_seconds"]);
    expect(samples.find((sample) => sample.name === "probe_duration_seconds")?.value).toBe(0.0055);
  });

  it("sets probe_http_version of an HTTP target from its last response (2 for HTTP/2)", async () => {
    const target = targetOf("http", { url: "https://portal.example/", version: 2 });
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    metrics.syncTargets([target], () => undefined);
    metrics.probeCompleted(target, makeResult("ok", 0, { httpVersion: 2 }));
    const samples = parsePromText(await metrics.render());
    const version = samples.find(
      (sample) => sample.name === "probe_http_version" && sample.labels.target === "a-http",
    );
    expect(version?.value).toBe(2);
  });
});

describe("the dns and grpc kinds in /metrics", () => {
  async function samplesOf(target: Target, result: ReturnType<typeof makeResult>) {
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    metrics.syncTargets([target], () => undefined);
    metrics.probeCompleted(target, result);
    const samples = parsePromText(await metrics.render()).filter(
      (sample) => sample.labels.target === target.id,
    );
    return (prefix: string) =>
      samples
        .filter((sample) => sample.name.startsWith(prefix))
        .map((sample) => {
          const { target: _t, service: _s, site: _site, ...labels } = sample.labels;
          return `${sample.name}${JSON.stringify(labels)} ${sample.value}`;
        });
  }

  it("dns: blackbox_exporter's dns families, and no HTTP ones", async () => {
    const target = targetOf("dns", {
      server: "ns1.pdns2.example:5353",
      query_name: "simkim.example",
    });
    const pick = await samplesOf(
      target,
      makeResult("ok", 0, {
        status: null,
        phases: { resolve: 2, connect: 0.5, tls: 0, processing: 3, transfer: 0 },
        figures: {
          kind: "dns",
          rcode: "NOERROR",
          answerRrs: 2,
          authorityRrs: 1,
          additionalRrs: 3,
          transport: "udp",
          truncated: false,
        },
      }),
    );
    expect(pick("probe_dns_")).toEqual([
      "probe_dns_lookup_time_seconds{} 0.002",
      'probe_dns_duration_seconds{"phase":"resolve"} 0.002',
      'probe_dns_duration_seconds{"phase":"connect"} 0.0005',
      'probe_dns_duration_seconds{"phase":"request"} 0.003',
      "probe_dns_query_succeeded{} 1",
      "probe_dns_answer_rrs{} 2",
      "probe_dns_authority_rrs{} 1",
      "probe_dns_additional_rrs{} 3",
    ]);
    expect(pick("probe_http_")).toEqual([]);
    expect(pick("pantau_target_info")).toEqual([
      'pantau_target_info{"name":"a-dns","prober":"dns","endpoint":"dns://ns1.pdns2.example:5353/simkim.example?type=A"} 1',
    ]);
  });

  it("dns: no answer is 0 records and query_succeeded 0", async () => {
    const target = targetOf("dns", { query_name: "simkim.example", query_type: "SRV" });
    const pick = await samplesOf(
      target,
      makeResult("failed", 0, {
        figures: {
          kind: "dns",
          rcode: null,
          answerRrs: 0,
          authorityRrs: 0,
          additionalRrs: 0,
          transport: null,
          truncated: false,
        },
      }),
    );
    expect(pick("probe_dns_query_succeeded")).toEqual(["probe_dns_query_succeeded{} 0"]);
    expect(pick("probe_dns_answer_rrs")).toEqual(["probe_dns_answer_rrs{} 0"]);
    expect(pick("pantau_target_info")[0]).toContain('"endpoint":"dns:simkim.example?type=SRV"');
  });

  it("grpc: the status code, one serving status at 1, the resolve and check phases", async () => {
    const target = targetOf("grpc", {
      host: "simkim.example",
      port: 443,
      tls: true,
      service: "x.Y",
    });
    const pick = await samplesOf(
      target,
      makeResult("failed", 0, {
        status: null,
        phases: { resolve: 1, connect: 2, tls: 3, processing: 4, transfer: 0 },
        figures: { kind: "grpc", statusCode: 0, servingStatus: "NOT_SERVING" },
      }),
    );
    expect(pick("probe_grpc_")).toEqual([
      "probe_grpc_status_code{} 0",
      'probe_grpc_healthcheck_response{"serving_status":"UNKNOWN"} 0',
      'probe_grpc_healthcheck_response{"serving_status":"SERVING"} 0',
      'probe_grpc_healthcheck_response{"serving_status":"NOT_SERVING"} 1',
      'probe_grpc_healthcheck_response{"serving_status":"SERVICE_UNKNOWN"} 0',
      'probe_grpc_duration_seconds{"phase":"resolve"} 0.001',
      'probe_grpc_duration_seconds{"phase":"check"} 0.009',
    ]);
    expect(pick("probe_dns_")).toEqual([]);
    expect(pick("pantau_target_info")[0]).toContain('"endpoint":"grpcs://simkim.example:443/x.Y"');
  });
});
