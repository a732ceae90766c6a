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
});
