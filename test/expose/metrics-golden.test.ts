import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Target } from "../../src/config/types.js";
import type { CommittedTransition } from "../../src/engine/engine.js";
import type { ExpositionFormat } from "../../src/expose/exposition.js";
import { PantauMetrics } from "../../src/expose/metrics.js";
import type { TargetState } from "../../src/health/types.js";
import type { HttpProbeSpec } from "../../src/probe/http.js";
import { makeCommitted, makeResult, makeTarget, tcpTarget } from "../support/targets.js";

/**
 * The whole /metrics text of a small estate, byte for byte, against a golden file per format:
 * the renderer is hand-written for speed, so its output is pinned. `UPDATE_GOLDEN=1` rewrites
 * the files.
 */
const GOLDEN: Record<ExpositionFormat, URL> = {
  prometheus: new URL("../fixtures/metrics/estate.prom", import.meta.url),
  openmetrics: new URL("../fixtures/metrics/estate.openmetrics.txt", import.meta.url),
};
const NODE_PLACEHOLDER = "{{nodejs}}";
const T0 = Date.UTC(2024, 5, 20, 1, 0, 0);

const targets = [
  makeTarget("core", { service: "immigration-core", site: "pdns2" }),
  makeTarget("portal", {
    name: 'Portal "main"',
    service: "immigration-portal",
    site: "jakarta",
    probe: {
      ...(makeTarget("x").probe as HttpProbeSpec),
      url: "https://ops:s3cret@portal.example/health?key=abc",
    },
  }),
  makeTarget("esc\\ape", { service: "line\nbreak", site: "bandara ✈" }),
  makeTarget("never-probed", { service: "", site: "" }),
  makeTarget("gate", {
    service: "autogate",
    site: "cgk",
    probe: tcpTarget("gate.example", 443).probe,
  }),
];

function transition(
  targetId: string,
  from: TargetState,
  to: TargetState,
  at: number,
  overrides: Partial<CommittedTransition> = {},
): CommittedTransition {
  const target = targets.find((t) => t.id === targetId) ?? makeTarget(targetId);
  return makeCommitted(target, from, to, at, overrides);
}

/**
 * Every kind of fact: results of each verdict, TLS expiry, transitions, blocked_by, a page
 * waiting for upstreams, maintenance.
 */
function goldenEstate(renderSlice?: { targets: number; ms: number }): PantauMetrics {
  const metrics = new PantauMetrics({
    version: "1.2.3",
    defaultMetrics: false,
    now: () => T0 - 7_200_000,
    ...(renderSlice ? { renderSlice } : {}),
  });
  const [core, portal, escaped, , gate] = targets as [Target, Target, Target, Target, Target];
  metrics.syncTargets(targets, (id) =>
    id === "core"
      ? { state: "up", since: T0 - 3_600_000, transition: null, blockedBy: null }
      : undefined,
  );
  metrics.probeCompleted(core, makeResult("ok", T0, { durationMs: 12.345678 }));
  metrics.probeCompleted(core, makeResult("failed", T0 + 10_000, { reason: "timeout" }));
  metrics.probeCompleted(core, makeResult("failed", T0 + 20_000));
  metrics.probeCompleted(
    portal,
    makeResult("degraded", T0 + 1_500, {
      certExpiresAt: T0 + 86_400_000,
      phases: { resolve: 0.25, connect: 1.5, tls: 7.125, processing: 300, transfer: 0.001 },
      durationMs: 308.876,
    }),
  );
  metrics.probeCompleted(
    escaped,
    makeResult("failed", T0 + 2_000, { status: null, reason: "refused" }),
  );
  // a TCP target sets no probe_http_*; its duration is a monotonic difference with float noise
  metrics.probeCompleted(
    gate,
    makeResult("ok", T0 + 3_000, {
      status: null,
      durationMs: 0.4129549999997835,
      phases: { resolve: 0, connect: 0.4129549999997835, tls: 0, processing: 0, transfer: 0 },
    }),
  );
  metrics.transitionsCommitted([
    transition("core", "up", "down", T0 + 20_000, { blockedBy: 'dns "primary"' }),
    transition("portal", "unknown", "degraded", T0 + 1_500),
    transition("esc\\ape", "unknown", "down", T0 + 2_000),
  ]);
  metrics.transitionsCommitted([
    transition("esc\\ape", "down", "up", T0 + 62_000, { outageStart: T0 + 2_000 }),
  ]);
  metrics.maintenanceChanged(portal, true);
  // the renderer shows what it is told; which holds are coherent is the engine's business
  metrics.pageHoldsChanged([{ targetId: "portal", waitingOn: ["core", 'lb "east"'] }]);
  metrics.schedulerObserver.probeStarted?.("core", 3);
  metrics.schedulerObserver.slotSkipped?.("core", "overrun");
  metrics.written({ result: "ok", what: "transitions", durationMs: 1.5, count: 1 });
  metrics.configReloaded(true, T0);
  return metrics;
}

describe("/metrics golden text", () => {
  it.each(["prometheus", "openmetrics"] as const)(
    "renders the estate in the %s format exactly as its golden file",
    async (format) => {
      const text = (await goldenEstate().render(format)).replaceAll(
        `nodejs="${process.versions.node}"`,
        `nodejs="${NODE_PLACEHOLDER}"`,
      );
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN[format], text);
      expect(text).toBe(readFileSync(GOLDEN[format], "utf8"));
    },
  );

  it("shows the same samples in both formats, besides OpenMetrics' _created", async () => {
    const samples = (text: string) =>
      text
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith("#"))
        .filter((line) => !/^\w+_created[{ ]/.test(line));
    const metrics = goldenEstate();
    const classic = samples(await metrics.render("prometheus"));
    // the only other difference: OpenMetrics' canonical bucket bounds (1.0 for 1)
    const open = samples(await metrics.render("openmetrics")).map((line) =>
      line.replace(/le="([0-9]+)\.0"/, 'le="$1"'),
    );
    expect(open).toEqual(classic);
  });
});

describe("/metrics rendered in chunks", () => {
  it("is the same text whatever the chunk size", async () => {
    const whole = await goldenEstate().render();
    for (const targets of [1, 2, 3, 1000]) {
      for (const ms of [0, 1000]) expect(await goldenEstate({ targets, ms }).render()).toBe(whole);
    }
  });

  it("yields to the event loop between chunks, so other callbacks run mid-render", async () => {
    const metrics = goldenEstate({ targets: 1, ms: 0 });
    let otherRan = false;
    setImmediate(() => {
      otherRan = true;
    });
    let chunks = 0;
    let chunksBeforeOther = 0;
    for await (const _ of metrics.renderChunks()) {
      chunks++;
      if (!otherRan) chunksBeforeOther++;
    }
    expect(otherRan).toBe(true);
    expect(chunks).toBe(15 * targets.length + 1);
    expect(chunksBeforeOther).toBe(1);
  });

  it("holds the loop for up to its time slice: no yield before the slice is spent", async () => {
    const chunksBeforeOther = async (monotonic: () => number) => {
      const metrics = new PantauMetrics({
        version: "1",
        defaultMetrics: false,
        renderSlice: { targets: 1, ms: 5, monotonic },
      });
      metrics.syncTargets(targets, () => undefined);
      let otherRan = false;
      setImmediate(() => {
        otherRan = true;
      });
      let before = 0;
      for await (const _ of metrics.renderChunks()) if (!otherRan) before++;
      return before;
    };
    let now = 0;
    // 2 ms per reading: the slice is spent every third chunk
    expect(await chunksBeforeOther(() => (now += 2))).toBe(3);
    // time stands still: one slice, no yield at all
    expect(await chunksBeforeOther(() => 0)).toBe(15 * targets.length + 1);
  });

  it("shows every target as of the render's start, though facts change between chunks", async () => {
    const metrics = goldenEstate({ targets: 1, ms: 0 });
    const before = await metrics.render();
    const [core] = targets as [Target];
    const chunks: string[] = [];
    for await (const chunk of metrics.renderChunks()) {
      if (chunks.length === 0) {
        metrics.probeCompleted(core, makeResult("ok", T0 + 30_000));
        metrics.transitionsCommitted([transition("core", "down", "up", T0 + 30_000)]);
        metrics.maintenanceChanged(core, true);
      }
      chunks.push(chunk);
    }
    // the registry's aggregates (last chunk) are prom-client's; the per-target part is a snapshot
    const perTarget = (text: string) => text.slice(0, text.indexOf("# HELP pantau_outage"));
    expect(perTarget(chunks.join(""))).toBe(perTarget(before));
    expect(perTarget(await metrics.render())).not.toBe(perTarget(before));
  });
});
