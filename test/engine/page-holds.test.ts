import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { type PageHoldChange, PageHolds, verdictDeadline } from "../../src/engine/page-holds.js";
import type { Ledger } from "../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { on } from "../support/engine-events.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

const T0 = Date.UTC(2024, 5, 20, 1, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;

let ledger: Ledger;
let time: FakeTime;
let engine: Engine;
let holds: PageHoldChange[];

/** The core is probed every minute (threshold 3, timeout 10 s); its dependant every 10 s. */
const core = makeTarget("simkim-core", { interval: 60_000, timeout: 10_000, failureThreshold: 3 });
const gate = makeTarget("autogate-cgk", {
  interval: 10_000,
  failureThreshold: 2,
  dependsOn: ["simkim-core"],
});
/** The bound: the core's 3 × 60 s + 10 s after the gate's first failed probe, plus 1 s. */
const BOUND_MS = 3 * 60_000 + 10_000 + 1000;

beforeEach(async () => {
  ledger = openSqliteLedger(":memory:");
  time = new FakeTime(s(-120));
  const runId = (await ledger.startRun("holds", time.now())).run.id;
  engine = new Engine({
    clock: time,
    timers: time,
    ledger,
    runId,
    instance: "holds",
    runProbe: async () => makeResult("ok", time.now()),
  });
  holds = [];
  on(engine, {
    committed: ({ holds: changes }) => holds.push(...changes),
    holds: ({ changes }) => holds.push(...changes),
  });
  engine.restore(core, null);
  engine.restore(gate, null);
});

afterEach(async () => {
  await ledger.close();
});

/** A probe of `id` that started at `seconds` and was decided at once. */
async function probe(id: string, result: "ok" | "failed", seconds: number): Promise<void> {
  await time.advance(Math.max(0, s(seconds) - time.now()));
  engine.observe(id, makeResult(result, s(seconds)));
  await engine.flush();
}

/** Both healthy; the core last probed at -60 s, the gate at 0 s. */
async function healthy(): Promise<void> {
  await probe("simkim-core", "ok", -60);
  await probe("autogate-cgk", "ok", 0);
}

describe("a dependant's page waits for its upstream's verdict", () => {
  it("holds while the core is not probed since the gate failed; the core's ok probe releases it", async () => {
    await healthy();
    await probe("autogate-cgk", "failed", 10);
    await probe("autogate-cgk", "failed", 20);
    // committed and shown at once; only the page waits
    expect(engine.committedState("autogate-cgk")).toMatchObject({ state: "down", blockedBy: null });
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual(["simkim-core"]);
    expect(holds).toEqual([{ targetId: "autogate-cgk", waitingOn: ["simkim-core"] }]);
    // an ok probe that started before the gate's first failure clears nothing
    await probe("simkim-core", "ok", 5);
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual(["simkim-core"]);
    await probe("simkim-core", "ok", 60);
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual([]);
    expect(holds.at(-1)).toEqual({ targetId: "autogate-cgk", waitingOn: [] });
    expect(engine.committedState("autogate-cgk")?.blockedBy).toBeNull();
  });

  it("holds while the core fails below its threshold; its →down blocks the gate and releases the hold", async () => {
    await healthy();
    await probe("simkim-core", "failed", 0);
    await probe("autogate-cgk", "failed", 10);
    await probe("autogate-cgk", "failed", 20);
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual(["simkim-core"]);
    await probe("simkim-core", "failed", 60);
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual(["simkim-core"]);
    await probe("simkim-core", "failed", 120);
    expect(engine.committedState("autogate-cgk")?.blockedBy).toBe("simkim-core");
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual([]);
    const [outage] = await ledger.outages({ targetId: "autogate-cgk" });
    expect(outage).toMatchObject({
      start: s(10),
      blockedBy: "simkim-core",
      blockedUntil: null,
      pageSettledAt: s(120),
    });
  });

  it("does not hold when the core was seen healthy after the gate's first failed probe", async () => {
    await healthy();
    await probe("autogate-cgk", "failed", 10);
    await probe("simkim-core", "ok", 15);
    await probe("autogate-cgk", "failed", 20);
    expect(engine.committedState("autogate-cgk")?.state).toBe("down");
    expect(holds).toEqual([]);
  });

  it("releases at the bound when the core's verdict never comes", async () => {
    await healthy();
    await probe("autogate-cgk", "failed", 10);
    await probe("autogate-cgk", "failed", 20);
    await time.advance(s(10) + BOUND_MS - 1 - time.now());
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual(["simkim-core"]);
    await time.advance(1);
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual([]);
    expect(time.now()).toBe(s(10) + BOUND_MS);
  });

  it("past the bound, waits for a →down already decided and not yet committed", async () => {
    await healthy();
    await probe("autogate-cgk", "failed", 10);
    await probe("autogate-cgk", "failed", 20);
    await probe("simkim-core", "failed", 60);
    await probe("simkim-core", "failed", 120);
    // the third failure is decided, but the ledger has not answered when the bound passes
    const commit = ledger.commit.bind(ledger);
    let release: () => void = () => undefined;
    // only the one commit waits: the settlement that follows the release is written as usual
    ledger.commit = (...args) =>
      new Promise((resolve, reject) => {
        release = () => {
          ledger.commit = commit;
          void commit(...args).then(resolve, reject);
        };
      });
    await time.advance(s(180) - time.now());
    engine.observe("simkim-core", makeResult("failed", s(180)));
    // the commit starts on the next turn of the event loop
    await new Promise((resolve) => setImmediate(resolve));
    await time.advance(s(10) + BOUND_MS + 5_000 - time.now());
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual(["simkim-core"]);
    release();
    await engine.flush();
    expect(engine.committedState("autogate-cgk")?.blockedBy).toBe("simkim-core");
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual([]);
  });

  it("records when each page stopped waiting on the outage (what a quorum's decider reads)", async () => {
    const settledAt = async (id: string) =>
      (await ledger.outages({ targetId: id }))[0]?.pageSettledAt;
    await healthy();
    await probe("autogate-cgk", "failed", 10);
    await probe("autogate-cgk", "failed", 20);
    expect(await settledAt("autogate-cgk")).toBeNull();
    // released by the core's ok probe: settled when the release was seen
    await probe("simkim-core", "ok", 60);
    expect(await settledAt("autogate-cgk")).toBe(s(60));
    // an outage of the core's own, with nothing above it, is settled as it is detected
    await probe("simkim-core", "failed", 120);
    await probe("simkim-core", "failed", 180);
    await probe("simkim-core", "failed", 240);
    const [coreOutage] = await ledger.outages({ targetId: "simkim-core" });
    expect(coreOutage?.pageSettledAt).toBe(coreOutage?.detectedAt);
  });

  it("settles a held page at its bound, and one blocked by the commit that blocks it", async () => {
    const settledAt = async (id: string) =>
      (await ledger.outages({ targetId: id }))[0]?.pageSettledAt;
    await healthy();
    await probe("autogate-cgk", "failed", 10);
    await probe("autogate-cgk", "failed", 20);
    await time.advance(s(10) + BOUND_MS - time.now());
    await engine.flush();
    expect(await settledAt("autogate-cgk")).toBe(s(10) + BOUND_MS);
  });

  it("drops the hold when the gate recovers before the verdict, or leaves the config", async () => {
    await healthy();
    await probe("autogate-cgk", "failed", 10);
    await probe("autogate-cgk", "failed", 20);
    await probe("autogate-cgk", "ok", 30);
    await probe("autogate-cgk", "ok", 40);
    expect(engine.committedState("autogate-cgk")?.state).toBe("up");
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual([]);
    await probe("autogate-cgk", "failed", 50);
    await probe("autogate-cgk", "failed", 59);
    expect(engine.pageWaitingOn("autogate-cgk")).toEqual(["simkim-core"]);
    engine.remove("autogate-cgk");
    expect(holds.at(-1)).toEqual({ targetId: "autogate-cgk", waitingOn: [] });
    expect(time.pendingTimers).toBe(0);
  });

  it("waits for every ancestor that may be the cause, through a healthy middle tier", async () => {
    const api = makeTarget("simkim-api", { interval: 10_000, dependsOn: ["simkim-core"] });
    const portal = makeTarget("portal", {
      interval: 10_000,
      failureThreshold: 1,
      dependsOn: ["simkim-api", "dns"],
    });
    const dns = makeTarget("dns", { interval: 30_000, timeout: 5_000, failureThreshold: 2 });
    for (const t of [api, portal, dns]) engine.restore(t, null);
    await probe("simkim-core", "ok", -60);
    await probe("dns", "ok", -30);
    await probe("simkim-api", "ok", -5);
    await probe("portal", "failed", 0);
    // the api is up but not probed since: the api and both roots may be the cause
    expect(engine.pageWaitingOn("portal")).toEqual(["dns", "simkim-api", "simkim-core"]);
    await probe("simkim-api", "ok", 5);
    await probe("dns", "ok", 10);
    expect(engine.pageWaitingOn("portal")).toEqual(["simkim-core"]);
  });
});

describe("PageHolds", () => {
  it("indexes holds by upstream, narrows them, and releases them once", () => {
    const pageHolds = new PageHolds();
    pageHolds.hold("a", ["core", "dns"], 100);
    pageHolds.hold("b", ["core"], 50);
    expect(pageHolds.heldOn("core").sort()).toEqual(["a", "b"]);
    expect(pageHolds.nextDeadline()).toBe(50);
    expect(pageHolds.update("a", ["core", "dns"])).toBeNull();
    expect(pageHolds.update("a", ["dns"])).toEqual({ targetId: "a", waitingOn: ["dns"] });
    expect(pageHolds.heldOn("core")).toEqual(["b"]);
    expect(pageHolds.expired(50)).toEqual(["b"]);
    expect(pageHolds.update("b", [])).toEqual({ targetId: "b", waitingOn: [] });
    expect(pageHolds.release("b")).toBeNull();
    expect(pageHolds.heldOn("core")).toEqual([]);
    expect(pageHolds.clear()).toEqual([{ targetId: "a", waitingOn: [] }]);
    expect(pageHolds.size).toBe(0);
  });

  it.each([
    ["interval", { interval: 30_000, timeout: 5_000, failureThreshold: 3 }, 95_000],
    ["cron every 20 s, from 00:00:05", { schedule: "*/20 * * * * *", timeout: 2_000 }, 57_000],
  ])("bounds an upstream's verdict by its %s", (_name, overrides, expectedMs) => {
    const from = Date.UTC(2024, 5, 20, 0, 0, 5);
    const upstream = makeTarget("core", { failureThreshold: 3, ...overrides });
    expect(verdictDeadline(upstream, from) - from).toBe(expectedMs);
  });
});
