import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MaintenanceWindow } from "../../src/config/types.js";
import { Engine, type EngineOptions } from "../../src/engine/engine.js";
import type { AttributionChange, Ledger } from "../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { on } from "../support/engine-events.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

let dir: string;
let ledger: Ledger;
let time: FakeTime;
let runId: number;
const T0 = Date.UTC(2024, 5, 20, 1, 0, 0);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "pantau-overlays-"));
  ledger = openSqliteLedger(join(dir, "ledger.db"));
  time = new FakeTime(T0 - 60_000);
  runId = (await ledger.startRun("overlays", time.now())).run.id;
});

afterEach(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function makeEngine(extra: Partial<EngineOptions> = {}): Engine {
  return new Engine({
    clock: time,
    timers: time,
    ledger,
    runId,
    instance: "overlays",
    runProbe: async () => makeResult("ok", time.now()),
    ...extra,
  });
}

const core = makeTarget("simkim-core", { failureThreshold: 2, successThreshold: 2 });
const gate = (site: string) =>
  makeTarget(`autogate-${site}`, {
    site,
    service: "autogate",
    failureThreshold: 2,
    successThreshold: 2,
    dependsOn: ["simkim-core"],
  });

/** Feeds one probe result at `at` (ms after T0) and commits what it decided. */
async function probe(engine: Engine, id: string, result: "ok" | "degraded" | "failed", at: number) {
  engine.observe(id, makeResult(result, T0 + at));
  await engine.flush();
}

describe("dependency attribution in the engine", () => {
  it("records a dependant that went down after its upstream as blocked_by the upstream", async () => {
    const engine = makeEngine();
    for (const t of [core, gate("cgk")]) engine.restore(t, null);
    await probe(engine, "simkim-core", "failed", 0);
    await probe(engine, "simkim-core", "failed", 10_000);
    await probe(engine, "autogate-cgk", "failed", 12_000);
    await probe(engine, "autogate-cgk", "failed", 22_000);
    const [transition] = await ledger.transitions({ targetId: "autogate-cgk" });
    expect(transition).toMatchObject({ to: "down", at: T0 + 12_000, blockedBy: "simkim-core" });
    expect(engine.committedState("autogate-cgk")?.blockedBy).toBe("simkim-core");
    expect(engine.committedState("simkim-core")?.blockedBy).toBeNull();
  });

  it("attributes late when the upstream's outage started first, and releases when it recovers", async () => {
    const engine = makeEngine();
    for (const t of [core, gate("dps")]) engine.restore(t, null);
    const seen: AttributionChange[] = [];
    on(engine, { committed: ({ attributions }) => seen.push(...attributions) });
    // the gate is detected first (22 s), the core later (25 s) but failed first (5 s)
    await probe(engine, "simkim-core", "failed", 5_000);
    await probe(engine, "autogate-dps", "failed", 12_000);
    await probe(engine, "autogate-dps", "failed", 22_000);
    expect(engine.committedState("autogate-dps")?.blockedBy).toBeNull();
    await probe(engine, "simkim-core", "failed", 25_000);
    expect(engine.committedState("autogate-dps")?.blockedBy).toBe("simkim-core");
    // the core recovers at 45 s (first good probe), the gate stays down
    await probe(engine, "simkim-core", "ok", 45_000);
    await probe(engine, "autogate-dps", "failed", 50_000);
    await probe(engine, "simkim-core", "ok", 65_000);
    expect(engine.committedState("autogate-dps")?.blockedBy).toBeNull();
    expect(seen.map((c) => [c.targetId, c.blockedBy, c.at - T0])).toEqual([
      ["autogate-dps", "simkim-core", seen[0]!.at - T0],
      ["autogate-dps", null, 45_000],
    ]);
    await probe(engine, "autogate-dps", "ok", 80_000);
    await probe(engine, "autogate-dps", "ok", 90_000);
    const [outage] = await ledger.outages({ targetId: "autogate-dps" });
    expect(outage).toMatchObject({
      start: T0 + 12_000,
      end: T0 + 80_000,
      blockedBy: "simkim-core",
      blockedUntil: T0 + 45_000,
    });
  });

  it("re-attributes after a reload changes depends_on, even if the next batch touches no down state", async () => {
    const engine = makeEngine();
    const loner = makeTarget("autogate-ups", { failureThreshold: 2, dependsOn: [] });
    const other = makeTarget("evisa", { degradedThreshold: 1 });
    for (const t of [core, loner, other]) engine.restore(t, null);
    await probe(engine, "evisa", "ok", 0);
    await probe(engine, "simkim-core", "failed", 0);
    await probe(engine, "simkim-core", "failed", 10_000);
    await probe(engine, "autogate-ups", "failed", 12_000);
    await probe(engine, "autogate-ups", "failed", 22_000);
    expect(engine.committedState("autogate-ups")?.blockedBy).toBeNull();
    engine.update({ ...loner, dependsOn: ["simkim-core"] });
    // only evisa up → degraded: no target enters or leaves down
    await probe(engine, "evisa", "degraded", 30_000);
    expect(engine.committedState("autogate-ups")?.blockedBy).toBe("simkim-core");
  });

  it("does not blame an upstream seen healthy after the dependant's first failed probe", async () => {
    const engine = makeEngine();
    for (const t of [core, gate("kno")]) engine.restore(t, null);
    await probe(engine, "autogate-kno", "failed", 0);
    // the core answers after the gate's first failure: whatever failed at the gate, not the core
    await probe(engine, "simkim-core", "ok", 5_000);
    await probe(engine, "autogate-kno", "failed", 10_000);
    await probe(engine, "simkim-core", "failed", 11_000);
    await probe(engine, "simkim-core", "failed", 21_000);
    expect(engine.committedState("autogate-kno")?.blockedBy).toBeNull();
    const [outage] = await ledger.outages({ targetId: "autogate-kno" });
    expect(outage?.blockedBy).toBeNull();
  });
});

describe("maintenance windows in the engine", () => {
  // Every day 01:00–02:00 UTC (08:00–09:00 in Jakarta).
  const window: MaintenanceWindow = {
    name: "patching",
    targets: ["autogate-*"],
    services: [],
    sites: [],
    cron: "0 8 * * *",
    timezone: "Asia/Jakarta",
    duration: 3_600_000,
  };

  it("marks the outage and the target, and keeps recording states", async () => {
    const engine = makeEngine({ maintenance: [window] });
    engine.restore(gate("sub"), null);
    const changes: boolean[] = [];
    on(engine, { maintenance: ({ inMaintenance }) => changes.push(inMaintenance) });
    await probe(engine, "autogate-sub", "failed", 60_000);
    await probe(engine, "autogate-sub", "failed", 70_000);
    expect(engine.inMaintenance("autogate-sub")).toBe(true);
    await probe(engine, "autogate-sub", "ok", 3_700_000);
    await probe(engine, "autogate-sub", "ok", 3_710_000);
    expect(changes).toEqual([true, false]);
    const transitions = await ledger.transitions({ targetId: "autogate-sub" });
    expect(transitions.map((t) => [t.to, t.maintenance])).toEqual([
      ["down", true],
      ["up", true],
    ]);
    const [outage] = await ledger.outages({ targetId: "autogate-sub" });
    expect(outage?.maintenance).toBe(true);
  });

  it("leaves targets outside the window's selectors alone", async () => {
    const engine = makeEngine({ maintenance: [window] });
    engine.restore(core, null);
    await probe(engine, "simkim-core", "failed", 60_000);
    await probe(engine, "simkim-core", "failed", 70_000);
    expect(engine.inMaintenance("simkim-core")).toBe(false);
    const [outage] = await ledger.outages({ targetId: "simkim-core" });
    expect(outage?.maintenance).toBe(false);
  });
});

describe("canaries", () => {
  const canaries = ["canary-gateway", "canary-dns"];
  const setUp = () => {
    const engine = makeEngine({ canaries });
    for (const id of canaries) engine.restore(makeTarget(id, { failureThreshold: 2 }), null);
    engine.restore(core, null);
    engine.restore(gate("yia"), null);
    return engine;
  };

  it("opens no outage and records a blind gap when everything, canaries included, fails", async () => {
    const engine = setUp();
    const blind: [boolean, number][] = [];
    on(engine, { blind: ({ blind: b, at }) => blind.push([b, at - T0]) });
    for (const at of [0, 10_000, 20_000, 30_000]) {
      await probe(engine, "canary-gateway", "failed", at);
      await probe(engine, "canary-dns", "failed", at + 1_000);
      await probe(engine, "simkim-core", "failed", at + 2_000);
      await probe(engine, "autogate-yia", "failed", at + 3_000);
    }
    expect(engine.blind).toEqual({ since: T0 + 1_000, canaries });
    await probe(engine, "canary-gateway", "ok", 40_000);
    expect(engine.blind).toBeNull();
    expect(blind).toEqual([
      [true, 1_000],
      [false, 40_000],
    ]);
    expect(await ledger.outages({})).toEqual([]);
    // the only state recorded is the canary answering again
    const transitions = await ledger.transitions({});
    expect(transitions.map((t) => [t.targetId, t.from, t.to, t.at - T0])).toEqual([
      ["canary-gateway", "unknown", "up", 40_000],
    ]);
    await time.advance(10);
    const gaps = await ledger.gaps({ instance: "overlays" });
    expect(gaps.filter((g) => g.kind === "blind")).toEqual([
      { instance: "overlays", kind: "blind", start: T0 + 1_000, end: T0 + 40_000 },
    ]);
  });

  it("opens outages normally when only the targets fail", async () => {
    const engine = setUp();
    for (const at of [0, 10_000]) {
      await probe(engine, "canary-gateway", "ok", at);
      await probe(engine, "canary-dns", "failed", at + 1_000);
      await probe(engine, "simkim-core", "failed", at + 2_000);
      await probe(engine, "autogate-yia", "failed", at + 3_000);
    }
    expect(engine.blind).toBeNull();
    const outages = await ledger.outages({});
    expect(outages.map((o) => [o.targetId, o.blockedBy])).toEqual([
      ["canary-dns", null],
      ["simkim-core", null],
      ["autogate-yia", "simkim-core"],
    ]);
  });
});
