import { describe, expect, it } from "vitest";
import type { CommittedState, CommittedTransition } from "../../src/engine/engine.js";
import { PantauMetrics } from "../../src/expose/metrics.js";
import type { TargetState } from "../../src/health/types.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";
import { CLOCK_STEPS, steppedOutage } from "../support/stepped-outage.js";
import { makeCommitted, makeResult, makeTarget } from "../support/targets.js";

const T0 = Date.UTC(2024, 5, 20, 1, 0, 0);
const core = makeTarget("simkim-core", { service: "immigration-core", site: "pdns2" });
const portal = makeTarget("portal", {
  service: "immigration-portal",
  site: "jakarta",
  probe: {
    ...makeTarget("x").probe,
    kind: "http",
    url: "https://ops:s3cret@portal.example/health?key=abc",
  },
} as Partial<ReturnType<typeof makeTarget>>);

function transition(
  targetId: string,
  from: TargetState,
  to: TargetState,
  at: number,
  outageStart: number | null = null,
): CommittedTransition {
  const target = targetId === core.id ? core : portal;
  return makeCommitted(target, from, to, at, { outageStart });
}

async function scrape(metrics: PantauMetrics) {
  return parsePromText(await metrics.render());
}

const none = (): CommittedState | undefined => undefined;

describe("PantauMetrics", () => {
  it("starts every configured target in `unknown` with its info, endpoint stripped", async () => {
    const metrics = new PantauMetrics({ version: "1.2.3", defaultMetrics: false });
    metrics.syncTargets([core, portal], none);
    const samples = await scrape(metrics);
    const labels = { target: "portal", service: "immigration-portal", site: "jakarta" };
    expect(sampleValue(samples, "pantau_target_state", { ...labels, state: "unknown" })).toBe(1);
    expect(sampleValue(samples, "pantau_target_state", { ...labels, state: "up" })).toBe(0);
    const info = samples.find(
      (s) => s.name === "pantau_target_info" && s.labels.target === "portal",
    );
    expect(info?.labels).toEqual({
      ...labels,
      name: "portal",
      prober: "http",
      endpoint: "https://portal.example/health",
    });
    expect(sampleValue(samples, "pantau_build_info", { version: "1.2.3" })).toBe(1);
  });

  it("sets probe_* from results and pantau_target_state only from committed transitions", async () => {
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    metrics.syncTargets([core], none);
    const labels = { target: "simkim-core" };
    metrics.probeCompleted(core, makeResult("failed", T0, { durationMs: 250, status: 503 }));
    let samples = await scrape(metrics);
    expect(sampleValue(samples, "probe_success", labels)).toBe(0);
    expect(sampleValue(samples, "probe_duration_seconds", labels)).toBe(0.25);
    expect(sampleValue(samples, "probe_http_status_code", labels)).toBe(503);
    expect(
      sampleValue(samples, "probe_http_duration_seconds", { ...labels, phase: "processing" }),
    ).toBe(0.01);
    expect(sampleValue(samples, "pantau_target_last_probe_timestamp_seconds", labels)).toBe(
      T0 / 1000,
    );
    expect(sampleValue(samples, "pantau_probes_total", { ...labels, result: "failed" })).toBe(1);
    expect(
      sampleValue(samples, "pantau_probe_failures_total", { ...labels, reason: "status" }),
    ).toBe(1);
    expect(sampleValue(samples, "pantau_target_state", { ...labels, state: "unknown" })).toBe(1);

    metrics.transitionsCommitted([transition("simkim-core", "unknown", "down", T0)]);
    metrics.transitionsCommitted([transition("simkim-core", "down", "up", T0 + 3_600_000, T0)]);
    samples = await scrape(metrics);
    expect(sampleValue(samples, "pantau_target_state", { ...labels, state: "up" })).toBe(1);
    expect(sampleValue(samples, "pantau_target_state", { ...labels, state: "down" })).toBe(0);
    expect(sampleValue(samples, "pantau_target_state_changed_timestamp_seconds", labels)).toBe(
      (T0 + 3_600_000) / 1000,
    );
    expect(
      sampleValue(samples, "pantau_state_transitions_total", {
        ...labels,
        from: "unknown",
        to: "down",
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, "pantau_state_transitions_total", { ...labels, from: "down", to: "up" }),
    ).toBe(1);
    const outage = { service: "immigration-core", site: "pdns2" };
    expect(sampleValue(samples, "pantau_outage_duration_seconds_count", outage)).toBe(1);
    expect(sampleValue(samples, "pantau_outage_duration_seconds_sum", outage)).toBe(3600);
  });

  it("shows the probes in flight as the scheduler last reported them, read at the scrape", async () => {
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    const inFlight = async () => sampleValue(await scrape(metrics), "pantau_probes_in_flight", {});
    expect(await inFlight()).toBe(0);
    metrics.schedulerObserver.inFlightChanged?.(3);
    metrics.schedulerObserver.inFlightChanged?.(2);
    expect(await inFlight()).toBe(2);
    metrics.schedulerObserver.inFlightChanged?.(0);
    expect(await inFlight()).toBe(0);
  });

  it("counts probes by result and failures by reason, keeping the other facts", async () => {
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    metrics.syncTargets([core], none);
    metrics.transitionsCommitted([transition("simkim-core", "unknown", "up", T0)]);
    for (const result of ["ok", "ok", "degraded", "failed"] as const) {
      metrics.probeCompleted(
        core,
        makeResult(result, T0, result === "failed" ? { reason: "refused" } : {}),
      );
    }
    const samples = await scrape(metrics);
    const labels = { target: "simkim-core" };
    expect(sampleValue(samples, "pantau_probes_total", { ...labels, result: "ok" })).toBe(2);
    expect(sampleValue(samples, "pantau_probes_total", { ...labels, result: "degraded" })).toBe(1);
    expect(sampleValue(samples, "pantau_probes_total", { ...labels, result: "failed" })).toBe(1);
    expect(
      sampleValue(samples, "pantau_probe_failures_total", { ...labels, reason: "refused" }),
    ).toBe(1);
    expect(sampleValue(samples, "pantau_target_state", { ...labels, state: "up" })).toBe(1);
  });

  it("measures an ended outage from the start the engine publishes with it", async () => {
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    metrics.syncTargets([core], none);
    // restored after a restart: no →down seen by this process, the start comes with the recovery
    metrics.transitionsCommitted([transition("simkim-core", "down", "up", T0 + 90_000, T0)]);
    const samples = await scrape(metrics);
    const outage = { service: "immigration-core", site: "pdns2" };
    expect(sampleValue(samples, "pantau_outage_duration_seconds_sum", outage)).toBe(90);
  });

  it("removes every series of a target that left the configuration", async () => {
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    metrics.syncTargets([core, portal], none);
    metrics.probeCompleted(portal, makeResult("failed", T0));
    metrics.transitionsCommitted([transition("portal", "unknown", "down", T0)]);
    metrics.syncTargets([core], none);
    const text = await metrics.render();
    expect(text).not.toContain('target="portal"');
    expect(text).toContain('target="simkim-core"');
  });

  it("shows blocked_by while down because of a dependency, maintenance and blindness", async () => {
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    metrics.syncTargets([core, portal], none);
    const blocked = { ...transition("portal", "unknown", "down", T0), blockedBy: "simkim-core" };
    metrics.transitionsCommitted([transition("simkim-core", "unknown", "down", T0), blocked]);
    metrics.maintenanceChanged(portal, true);
    metrics.blindChanged(true);
    let samples = await scrape(metrics);
    const labels = { target: "portal", service: "immigration-portal", site: "jakarta" };
    expect(
      sampleValue(samples, "pantau_target_blocked_by", { ...labels, dependency: "simkim-core" }),
    ).toBe(1);
    expect(samples.filter((s) => s.name === "pantau_target_blocked_by")).toHaveLength(1);
    expect(sampleValue(samples, "pantau_target_maintenance", labels)).toBe(1);
    expect(sampleValue(samples, "pantau_monitor_blind")).toBe(1);

    // the core recovers, the portal stays down: its outage is its own at once
    metrics.attributionsCommitted([{ targetId: "portal", at: T0 + 60_000, blockedBy: null }]);
    metrics.maintenanceChanged(portal, false);
    metrics.blindChanged(false);
    samples = await scrape(metrics);
    expect(samples.filter((s) => s.name === "pantau_target_blocked_by")).toHaveLength(0);
    expect(sampleValue(samples, "pantau_target_maintenance", labels)).toBe(0);
    expect(sampleValue(samples, "pantau_monitor_blind")).toBe(0);
  });

  it("exposes the exits of each target's current state at 0, so increase() sees the next one", async () => {
    const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
    metrics.syncTargets([core], none);
    const pairs = async () =>
      (await scrape(metrics))
        .filter((s) => s.name === "pantau_state_transitions_total")
        .map((s) => `${s.labels.from}>${s.labels.to}=${s.value}`);
    expect(await pairs()).toEqual(["unknown>up=0", "unknown>degraded=0", "unknown>down=0"]);
    metrics.transitionsCommitted([transition("simkim-core", "unknown", "down", T0)]);
    expect(await pairs()).toEqual([
      "unknown>up=0",
      "unknown>degraded=0",
      "unknown>down=1",
      "down>up=0",
      "down>degraded=0",
    ]);
  });
});

describe("PantauMetrics: an outage across wall-clock steps", () => {
  it.each(CLOCK_STEPS)(
    "$name: pantau_outage_duration_seconds observes the 6 s the monotonic clock measured",
    async (steps) => {
      const { down, up } = await steppedOutage(steps);
      const metrics = new PantauMetrics({ version: "0", defaultMetrics: false });
      metrics.syncTargets([makeTarget("core")], none);
      metrics.listener({
        kind: "committed",
        transitions: [down.transition, up.transition],
        attributions: [],
        holds: [],
      });
      const samples = await scrape(metrics);
      const group = { service: "svc", site: "site" };
      expect(sampleValue(samples, "pantau_outage_duration_seconds_sum", group)).toBe(6);
      expect(sampleValue(samples, "pantau_outage_duration_seconds_count", group)).toBe(1);
      expect(
        sampleValue(samples, "pantau_outage_duration_seconds_bucket", { ...group, le: "60" }),
      ).toBe(1);
    },
  );
});
