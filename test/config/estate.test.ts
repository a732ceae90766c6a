import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

async function load(file: string) {
  const result = await loadConfig(file, {}, { hostname: "test-host" });
  return result.ok
    ? { config: result.config, issues: [] }
    : { config: null, issues: result.issues.map(formatConfigIssue) };
}

describe("shipped configuration", () => {
  it("config/pantau.yaml, the immigration estate, loads without issues", async () => {
    const { config, issues } = await load("config/pantau.yaml");
    expect(issues).toEqual([]);
    const ids = config?.targets.map((target) => target.id) ?? [];
    expect(ids).toEqual(
      expect.arrayContaining(["simkim-core", "portal-imigrasi", "evisa", "m-paspor"]),
    );
    expect(config?.targets.find((target) => target.id === "simkim-core")).toMatchObject({
      service: "immigration-core",
      site: "pdns2",
      probe: { kind: "tcp", tls: true },
    });
  });

  it("has an autogate at each of at least 8 airports, each depending on simkim-core", async () => {
    const { config } = await load("config/pantau.yaml");
    const autogates = config?.targets.filter((target) => target.service === "autogate") ?? [];
    expect(autogates.map((gate) => gate.site)).toEqual([
      "cgk",
      "dps",
      "kno",
      "sub",
      "yia",
      "upg",
      "bth",
      "mdc",
    ]);
    for (const gate of autogates) {
      expect(gate.id).toBe(`autogate-${gate.site}`);
      expect(gate.dependsOn).toEqual(["simkim-core"]);
      expect(gate.probe).toMatchObject({
        kind: "http",
        url: `https://autogate-${gate.site}.imigrasi.internal.example/health`,
      });
      expect(gate.expect.json).toEqual({ path: "status", equals: "ok" });
      expect(gate.degraded.json).toEqual({ path: "mode", equals: "manual" });
    }
  });

  it("names only existing targets as canaries", async () => {
    const { config } = await load("config/pantau.yaml");
    const ids = new Set(config?.targets.map((target) => target.id));
    expect(config?.global.canaries.length).toBeGreaterThan(0);
    for (const canary of config?.global.canaries ?? []) expect(ids.has(canary)).toBe(true);
  });

  it("config/examples/minimal.yaml loads without issues", async () => {
    const { config, issues } = await load("config/examples/minimal.yaml");
    expect(issues).toEqual([]);
    expect(config?.targets).toHaveLength(1);
  });
});
