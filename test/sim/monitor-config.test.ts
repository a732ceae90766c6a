import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/types.js";
import type { ServedEndpoint } from "../../src/sim/estate.js";
import { renderMonitorConfig, SCENARIO_MONITOR } from "../../src/sim/monitor-config.js";
import { type EndpointPlan, genericPlan, immigrationEstatePlan } from "../../src/sim/plan.js";

const DEMO_BASE_PORT = 19400;

function servedAt(plan: EndpointPlan[], basePort: number): ServedEndpoint[] {
  return plan.map((p, i) => ({ plan: p, url: `http://127.0.0.1:${basePort + i}${p.path}` }));
}

function parse(text: string, file: string): Config {
  const parsed = parseConfig(text, file, {}, { hostname: "test" });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues, null, 2));
  return parsed.config;
}

describe("renderMonitorConfig", () => {
  it("is what config/demo.yaml monitors, target for target, at base port 19400", () => {
    const rendered = parse(
      renderMonitorConfig(servedAt(immigrationEstatePlan(), DEMO_BASE_PORT)),
      "out.yaml",
    );
    const demo = parse(readFileSync("config/demo.yaml", "utf8"), "config/demo.yaml");
    expect(rendered.targets).toEqual(demo.targets);
    expect({ ...rendered.global, instance: "" }).toEqual({ ...demo.global, instance: "" });
    expect(rendered.server).toEqual(demo.server);
    expect(rendered.storage).toEqual(demo.storage);
  });

  it("config/demo.yaml: fixed ports 19400-19411, storage and listen as documented", () => {
    const demo = parse(readFileSync("config/demo.yaml", "utf8"), "config/demo.yaml");
    const urls = demo.targets.map((t) => (t.probe.kind === "http" ? t.probe.url : ""));
    expect(urls.map((url) => Number(new URL(url).port))).toEqual(
      Array.from({ length: 12 }, (_, i) => DEMO_BASE_PORT + i),
    );
    expect(demo.targets.filter((t) => t.id !== "simkim-core").map((t) => t.dependsOn)).toEqual(
      Array.from({ length: 11 }, () => ["simkim-core"]),
    );
    expect(demo.global).toMatchObject({
      interval: 250,
      timeout: 200,
      failureThreshold: 2,
      successThreshold: 2,
      degradedThreshold: 2,
      canaries: [],
    });
    expect(demo.server.listen).toBe("127.0.0.1:9469");
    expect(demo.storage.path).toBe("data/demo.db");
  });

  it("monitors generic endpoints by their URL, with no dependencies", () => {
    const config = parse(renderMonitorConfig(servedAt(genericPlan(3), 20000)), "out.yaml");
    expect(config.targets.map((t) => [t.id, t.dependsOn])).toEqual([
      ["gen-0000", []],
      ["gen-0001", []],
      ["gen-0002", []],
    ]);
  });

  it("the demo's monitor in scenario time: latency judged on the services only", () => {
    const config = parse(
      renderMonitorConfig(servedAt(immigrationEstatePlan(), 19400), SCENARIO_MONITOR),
      "demo.yaml",
    );
    expect(config.global).toMatchObject({
      interval: 600_000,
      timeout: 570_000,
      failureThreshold: 2,
      successThreshold: 2,
      degradedThreshold: 2,
    });
    expect(config.storage.heartbeat).toBe(3_600_000);
    const latency = Object.fromEntries(
      config.targets.map((t) => [t.id, [t.degraded.latencyOver, t.degraded.json?.equals ?? null]]),
    );
    expect(latency).toEqual({
      "simkim-core": [null, null],
      "portal-imigrasi": [null, null],
      evisa: [300_000, null],
      "m-paspor": [300_000, null],
      ...Object.fromEntries(
        ["cgk", "dps", "kno", "sub", "yia", "upg", "bth", "mdc"].map((site) => [
          `autogate-${site}`,
          [null, "manual"],
        ]),
      ),
    });
  });
});
