import { describe, expect, it } from "vitest";
import { LEAN_AFTER_NO_SPACE_MS } from "../../src/engine/commit-queue.js";
import { Engine, type EngineOptions } from "../../src/engine/engine.js";
import { HEARTBEAT_BACKOFF_MAX_MS } from "../../src/engine/heartbeat.js";
import { LedgerError } from "../../src/ledger/errors.js";
import { FakeLedger, sqliteFull } from "../support/fake-ledger.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

/** An engine over a fake ledger whose writes a test makes fail, on fake time. */
function harness(options: Partial<EngineOptions> = {}) {
  const time = new FakeTime();
  const ledger = new FakeLedger();
  const engine = new Engine({
    clock: time,
    timers: time,
    ledger,
    runId: 1,
    instance: "full",
    runProbe: async () => makeResult("ok", time.now()),
    batchWindowMs: 100,
    ...options,
  });
  for (const id of ["simkim-core", "portal"]) {
    engine.restore(makeTarget(id, { failureThreshold: 1, successThreshold: 1 }), null);
  }
  return { time, ledger, engine };
}

/** When each heartbeat was tried, in monotonic ms. */
function beatTimes(ledger: FakeLedger, time: FakeTime): number[] {
  const at: number[] = [];
  const heartbeat = ledger.heartbeat.bind(ledger);
  ledger.heartbeat = () => {
    at.push(time.monotonic());
    return heartbeat();
  };
  return at;
}

const spacing = (at: readonly number[]) => at.slice(1).map((t, i) => t - at[i]!);

describe("the commit queue when a stop must end", () => {
  it("retries a failing ledger until the bound, then hands over everything it holds, in order", async () => {
    const { time, ledger, engine } = harness({ commitRetryMs: 1000 });
    ledger.failWith = sqliteFull();
    engine.observe("simkim-core", makeResult("failed", time.now()));
    await time.advance(500);
    engine.observe("portal", makeResult("failed", time.now()));
    engine.observe("simkim-core", makeResult("ok", time.now()));
    let done: boolean | null = null;
    const began = time.monotonic();
    void engine.drain(10_000).then((result) => {
      done = result;
    });
    while (done === null) await time.advance(250);
    expect(done).toBe(false);
    expect(time.monotonic() - began).toBe(10_000);
    // a retry a second at most: the backoff does not stretch across the stop's bound
    expect(ledger.attempts.length).toBeGreaterThanOrEqual(10);
    const records = await engine.takeUncommitted();
    expect(records.map((r) => (r.kind === "transition" ? r.transition.targetId : r.kind))).toEqual([
      "simkim-core",
      "portal",
      "simkim-core",
    ]);
    expect(
      records.map((r) =>
        r.kind === "transition" ? `${r.transition.from}->${r.transition.to}` : "",
      ),
    ).toEqual(["unknown->down", "unknown->down", "down->up"]);
    expect(engine.pendingCount).toBe(0);
    // nothing is written after the hand-over, even once the ledger could take it
    ledger.failWith = null;
    const attempts = ledger.attempts.length;
    engine.observe("portal", makeResult("ok", time.now()));
    await time.advance(5000);
    expect(ledger.attempts.length).toBe(attempts);
    expect(ledger.committed).toEqual([]);
  });

  it("drains as soon as the ledger takes writes again within the bound", async () => {
    const { time, ledger, engine } = harness({ commitRetryMs: 1000 });
    ledger.failWith = sqliteFull();
    engine.observe("simkim-core", makeResult("failed", time.now()));
    await time.advance(200);
    let done: boolean | null = null;
    void engine.drain(30_000).then((result) => {
      done = result;
    });
    await time.advance(3000);
    expect(done).toBeNull();
    ledger.failWith = null;
    await time.advance(1000);
    expect(done).toBe(true);
    expect(ledger.committed.map((t) => `${t.targetId}:${t.to}`)).toEqual(["simkim-core:down"]);
  });
});

describe("the heartbeat on a full disk", () => {
  it("backs off, doubling to its cap while beats fail for want of space, and is back to its interval after one succeeds", async () => {
    const { time, ledger, engine } = harness();
    const at = beatTimes(ledger, time);
    ledger.heartbeatFailsWith = sqliteFull();
    const heartbeat = engine.heartbeat(200);
    heartbeat.start();
    await time.advance(300_000);
    const gaps = spacing(at);
    expect(gaps.slice(0, 10)).toEqual([
      400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000,
    ]);
    expect(Math.max(...gaps)).toBe(HEARTBEAT_BACKOFF_MAX_MS);
    ledger.heartbeatFailsWith = null;
    at.length = 0;
    await time.advance(HEARTBEAT_BACKOFF_MAX_MS + 1000);
    // the beat already armed comes within the cap; it succeeds, and the next are 200 ms apart
    expect(at[0]! - (time.monotonic() - HEARTBEAT_BACKOFF_MAX_MS - 1000)).toBeLessThanOrEqual(
      HEARTBEAT_BACKOFF_MAX_MS,
    );
    expect(new Set(spacing(at))).toEqual(new Set([200]));
    expect(heartbeat.nextDelayMs).toBe(200);
    heartbeat.stop();
  });

  it("keeps its interval when beats fail for another reason (nothing fills up)", async () => {
    const { time, ledger, engine } = harness();
    const at = beatTimes(ledger, time);
    ledger.heartbeatFailsWith = new LedgerError("LEDGER_READONLY", "read-only");
    const heartbeat = engine.heartbeat(200);
    heartbeat.start();
    await time.advance(1000);
    heartbeat.stop();
    expect(spacing(at)).toEqual([200, 200, 200, 200]);
  });

  it("writes no beat while transitions wait on a failing ledger, and beats again once they are in", async () => {
    const { time, ledger, engine } = harness({ commitRetryMs: 1000, commitRetryMaxMs: 1000 });
    const at = beatTimes(ledger, time);
    const heartbeat = engine.heartbeat(200);
    heartbeat.start();
    await time.advance(1000);
    expect(at).toHaveLength(5);
    ledger.failWith = sqliteFull();
    engine.observe("simkim-core", makeResult("failed", time.now()));
    await time.advance(5000);
    // the commit failed: from then on the room is the queue's
    expect(at.filter((t) => t > 1100)).toEqual([]);
    expect(heartbeat.skipped).toBeGreaterThanOrEqual(20);
    ledger.failWith = null;
    await time.advance(1500);
    expect(engine.pendingCount).toBe(0);
    expect(at.filter((t) => t > 6000).length).toBeGreaterThanOrEqual(2);
    expect(engine.ledgerTrouble).toBeNull();
    heartbeat.stop();
  });
});

describe("the WAL on a full disk", () => {
  it("is given back when a write fails for want of space, and after every write for ten minutes more", async () => {
    const { time, ledger, engine } = harness({ commitRetryMs: 1000, commitRetryMaxMs: 1000 });
    ledger.failWith = sqliteFull();
    engine.observe("simkim-core", makeResult("failed", time.now()));
    await time.advance(200);
    expect(ledger.reclaims).toBe(1);
    await time.advance(2000);
    expect(ledger.reclaims).toBe(3);
    ledger.failWith = null;
    await time.advance(1000);
    expect(engine.pendingCount).toBe(0);
    expect(ledger.reclaims).toBe(4);
    // the room just freed is kept: the WAL does not grow back into it
    engine.observe("simkim-core", makeResult("ok", time.now()));
    await time.advance(1000);
    expect(ledger.committed).toHaveLength(2);
    expect(ledger.reclaims).toBe(5);
    // ten minutes after the last failure for space, writes go to the WAL as usual
    await time.advance(LEAN_AFTER_NO_SPACE_MS);
    engine.observe("simkim-core", makeResult("failed", time.now()));
    await time.advance(1000);
    expect(ledger.committed).toHaveLength(3);
    expect(ledger.reclaims).toBe(5);
  });

  it("is left alone for a failure that is not about space", async () => {
    const { time, ledger, engine } = harness();
    ledger.failWith = new LedgerError("LEDGER_READONLY", "read-only");
    engine.observe("simkim-core", makeResult("failed", time.now()));
    await time.advance(5000);
    ledger.failWith = null;
    await time.advance(5000);
    expect(ledger.committed).toHaveLength(1);
    expect(ledger.reclaims).toBe(0);
  });
});
