import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import type { Ledger } from "../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import type { WallClockJump } from "../../src/time/wall-clock-watch.js";
import { on } from "../support/engine-events.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

const T0 = Date.UTC(2024, 5, 20, 0, 0, 0);
const HOUR = 3_600_000;
const S = 1000;

let dir: string;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pantau-clock-"));
  ledger = openSqliteLedger(join(dir, "ledger.db"));
});

afterEach(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An engine of a new run on `time`, whose probes end as `outcome` says at the time they run. */
async function engineOn(time: FakeTime, outcome: () => "ok" | "failed"): Promise<Engine> {
  const runId = (await ledger.startRun("clock", T0)).run.id;
  return new Engine({
    clock: time,
    timers: time,
    ledger,
    runId,
    instance: "clock",
    batchWindowMs: 100,
    runProbe: async () => makeResult(outcome(), time.now()),
  });
}

/**
 * One probe every 10 s of real (monotonic) time for 300 s; the target fails from 60 s to
 * 180 s when `outage`; the wall clock steps by `jump` just after `jumpAt` s.
 */
async function run(options: { jump: number; jumpAt: number; outage: boolean }) {
  const time = new FakeTime(T0);
  const failing = (elapsed: number) => options.outage && elapsed >= 60 * S && elapsed < 180 * S;
  const engine = await engineOn(time, () => (failing(time.monotonic()) ? "failed" : "ok"));
  const jumps: WallClockJump[] = [];
  on(engine, { "clock-jump": ({ jump }) => jumps.push(jump) });
  engine.restore(makeTarget("core", { failureThreshold: 2, successThreshold: 2 }), null);
  for (let elapsed = 0; elapsed <= 300 * S; elapsed += 10 * S) {
    await engine.probe("core");
    await time.advance(5 * S);
    if (elapsed === options.jumpAt * S) time.jumpWall(options.jump);
    await time.advance(5 * S);
  }
  await engine.flush();
  const transitions = await ledger.transitions({ targetId: "core" });
  const outages = await ledger.outages({ targetId: "core" });
  return { transitions, outages, jumps };
}

describe("a wall-clock jump", () => {
  it.each([
    { when: "in the middle of an outage", jump: +HOUR, jumpAt: 120, start: T0 + 60 * S },
    { when: "in the middle of an outage", jump: -HOUR, jumpAt: 120, start: T0 + 60 * S },
    { when: "between its first failure and →down", jump: +HOUR, jumpAt: 60, start: T0 + 60 * S },
    { when: "between its first failure and →down", jump: -HOUR, jumpAt: 60, start: T0 + 60 * S },
    { when: "between its first good probe and →up", jump: +HOUR, jumpAt: 180, start: T0 + 60 * S },
    { when: "between its first good probe and →up", jump: -HOUR, jumpAt: 180, start: T0 + 60 * S },
    { when: "in the up period before it", jump: +HOUR, jumpAt: 30, start: T0 + 60 * S + HOUR },
    // the wall clock now reads before the →up at T0: the up period absorbs the step
    { when: "in the up period before it", jump: -HOUR, jumpAt: 30, start: T0 },
    { when: "in the up period after it", jump: +HOUR, jumpAt: 250, start: T0 + 60 * S },
    { when: "in the up period after it", jump: -HOUR, jumpAt: 250, start: T0 + 60 * S },
  ])(
    "of $jump ms $when keeps the outage's true length, in order, and is reported once",
    async ({ jump, jumpAt, start }) => {
      const { transitions, outages, jumps } = await run({ jump, jumpAt, outage: true });
      expect(transitions.map((t) => `${t.from}->${t.to}`)).toEqual([
        "unknown->up",
        "up->down",
        "down->up",
      ]);
      const ats = transitions.map((t) => t.at);
      expect(ats).toEqual([...ats].sort((a, b) => a - b));
      expect(outages).toHaveLength(1);
      expect(outages[0]).toMatchObject({ start, end: start + 120 * S, endReason: "recovered" });
      expect(jumps.map((j) => j.jumpMs)).toEqual([jump]);
    },
  );

  it.each([+HOUR, -HOUR])("of %i ms opens no outage on a healthy target", async (jump) => {
    const { transitions, outages, jumps } = await run({ jump, jumpAt: 120, outage: false });
    expect(transitions.map((t) => `${t.from}->${t.to}`)).toEqual(["unknown->up"]);
    expect(outages).toEqual([]);
    expect(jumps.map((j) => j.jumpMs)).toEqual([jump]);
  });
});

describe("a wall-clock jump during an outage whose target is then removed", () => {
  it.each([+HOUR, -HOUR])(
    "of %i ms ends the outage after the time the monotonic clock measured",
    async (jump) => {
      const time = new FakeTime(T0);
      const engine = await engineOn(time, () => "failed");
      engine.restore(makeTarget("core", { failureThreshold: 2 }), null);
      for (let i = 0; i < 3; i++) {
        await engine.probe("core");
        await time.advance(10 * S);
      }
      time.jumpWall(jump);
      await time.advance(10 * S);
      engine.remove("core");
      await engine.flush();
      const outages = await ledger.outages({ targetId: "core" });
      // down from the first probe at 0 s; removed 40 s later by the monotonic clock
      expect(outages).toMatchObject([{ start: T0, end: T0 + 40 * S, endReason: "removed" }]);
    },
  );
});
