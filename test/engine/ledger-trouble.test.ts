import { describe, expect, it } from "vitest";
import { Engine, type EngineOptions } from "../../src/engine/engine.js";
import type { LedgerRecoveryReport, LedgerTroubleReport } from "../../src/engine/ledger-trouble.js";
import type { Transition } from "../../src/health/types.js";
import { LedgerError } from "../../src/ledger/errors.js";
import type { StoredTransition } from "../../src/ledger/ledger.js";
import { on } from "../support/engine-events.js";
import { FakeLedger, sqliteFull } from "../support/fake-ledger.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

/** An engine over a fake ledger, with everything it tells its subscribers recorded. */
function harness(options: Partial<EngineOptions> = {}) {
  const time = new FakeTime();
  const ledger = new FakeLedger();
  const engine = new Engine({
    clock: time,
    timers: time,
    ledger,
    runId: 1,
    instance: "trouble",
    runProbe: async () => makeResult("ok", time.now()),
    // commits go through the fake timers, as in the daemon
    batchWindowMs: 100,
    ...options,
  });
  const seen = {
    published: [] as StoredTransition[],
    unwritable: [] as LedgerTroubleReport[],
    writable: [] as LedgerRecoveryReport[],
    dropped: [] as Transition[],
    queueLengths: [] as number[],
  };
  on(engine, {
    committed: ({ transitions }) => seen.published.push(...transitions),
    unwritable: ({ report }) => seen.unwritable.push(report),
    writable: ({ report }) => seen.writable.push(report),
    queue: ({ queue, putOff }) => {
      seen.queueLengths.push(queue.length);
      if (putOff) seen.dropped.push(putOff);
    },
  });
  return { time, ledger, engine, seen };
}

const chain = (ts: readonly Transition[]) =>
  ts.map((t) => `${t.targetId}:${t.from}->${t.to}@${t.at}`);

describe("Engine while the ledger cannot be written", () => {
  it("keeps deciding, publishes nothing, then commits every transition in order", async () => {
    const { time, ledger, engine, seen } = harness();
    for (const id of ["simkim-core", "autogate-cgk"]) {
      engine.restore(makeTarget(id, { failureThreshold: 1, successThreshold: 1 }), null);
    }
    ledger.failWith = sqliteFull();
    const start = time.now();
    const decided: string[] = [];
    // flaps for ten minutes, one probe of each target every 10 s
    for (let i = 0; i < 60; i++) {
      const verdict = i % 3 === 2 ? "ok" : "failed";
      for (const id of ["simkim-core", "autogate-cgk"]) {
        const before = engine.pendingCount;
        engine.observe(id, makeResult(verdict, time.now()));
        if (engine.pendingCount > before) decided.push(`${id}@${time.now()}`);
      }
      await time.advance(10_000);
    }
    expect(seen.published).toEqual([]);
    expect(engine.committedState("simkim-core")?.state).toBe("unknown");
    expect(engine.pendingCount).toBe(decided.length);
    // since the first failed commit, one batch window after the first decision
    const since = start + 100;
    expect(engine.ledgerTrouble).toEqual({
      since,
      error: "SQLITE_FULL: database or disk is full",
      operations: ["commit"],
      pending: decided.length,
    });
    // ten minutes of failing writes: the first, then one report per minute at most
    expect(seen.unwritable.length).toBeGreaterThanOrEqual(2);
    expect(seen.unwritable.length).toBeLessThanOrEqual(11);
    expect(seen.unwritable[0]).toMatchObject({ since, failures: 1 });

    ledger.failWith = null;
    await time.advance(30_000);
    await engine.flush();
    expect(engine.pendingCount).toBe(0);
    expect(engine.ledgerTrouble).toBeNull();
    expect(seen.writable).toEqual([
      expect.objectContaining({ since, failures: ledger.attempts.length - 1 }),
    ]);
    // one chain per target, in decision order, each transition at its first probe
    expect(ledger.committed.map((t) => `${t.targetId}@${t.at}`)).toEqual(decided);
    expect(chain(seen.published)).toEqual(chain(ledger.committed));
    // the last round (i = 59) was ok
    expect(engine.committedState("simkim-core")?.state).toBe("up");
    expect(seen.queueLengths.at(-1)).toBe(0);
  });

  it("backs off between retries, doubling up to the cap, and starts again from the base", async () => {
    const { time, ledger, engine } = harness({ commitRetryMs: 1000, commitRetryMaxMs: 8000 });
    engine.restore(makeTarget("portal", { failureThreshold: 1 }), null);
    ledger.failWith = sqliteFull();
    const attemptsAt: number[] = [];
    const commit = ledger.commit.bind(ledger);
    ledger.commit = (...args) => {
      attemptsAt.push(time.monotonic());
      return commit(...args);
    };
    engine.observe("portal", makeResult("failed", time.now()));
    await time.advance(60_000);
    const gaps = attemptsAt.slice(1).map((at, i) => at - attemptsAt[i]!);
    expect(gaps.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    ledger.failWith = null;
    await time.advance(8000);
    expect(engine.pendingCount).toBe(0);
    // the next trouble starts from the base delay again
    ledger.failWith = sqliteFull();
    engine.observe("portal", makeResult("ok", time.now()));
    engine.observe("portal", makeResult("ok", time.now()));
    attemptsAt.length = 0;
    await time.advance(4000);
    expect(attemptsAt.slice(1).map((at, i) => at - attemptsAt[i]!)).toEqual([1000, 2000]);
  });

  it("bounds the queue: a target beyond it keeps its state and streak, and is decided later with its true start", async () => {
    const { time, ledger, engine, seen } = harness({ maxPending: 2 });
    const ids = ["a", "b", "c", "d"];
    // c needs two failures: its streak is kept; d needs one: the put-off failure starts one
    const thresholds: Record<string, number> = { a: 1, b: 1, c: 2, d: 1 };
    for (const id of ids) {
      engine.restore(makeTarget(id, { failureThreshold: thresholds[id] ?? 1 }), null);
    }
    ledger.failWith = sqliteFull();
    const firstFailure = time.now();
    for (let round = 0; round < 6; round++) {
      for (const id of ids) engine.observe(id, makeResult("failed", time.now()));
      await time.advance(10_000);
    }
    expect(engine.pendingCount).toBe(2);
    // counted once per target put off, not once per probe
    expect(seen.dropped.map((t) => `${t.targetId}:${t.to}@${t.at}`)).toEqual([
      `d:down@${firstFailure}`,
      `c:down@${firstFailure}`,
    ]);
    ledger.failWith = null;
    await time.advance(60_000);
    await engine.flush();
    expect(ledger.committed.map((t) => t.targetId)).toEqual(["a", "b"]);
    // the next failed probe re-decides c and d: their outages start at the first failure
    for (const id of ids) engine.observe(id, makeResult("failed", time.now()));
    await engine.flush();
    expect(chain(ledger.committed)).toEqual(ids.map((id) => `${id}:unknown->down@${firstFailure}`));
    expect(seen.published).toHaveLength(4);
  });

  it("takes a reloaded smaller bound without dropping what is queued: new decisions wait until it is below", async () => {
    const { time, ledger, engine, seen } = harness({ maxPending: 4 });
    const ids = ["a", "b", "c", "d", "e"];
    for (const id of ids) engine.restore(makeTarget(id, { failureThreshold: 1 }), null);
    ledger.failWith = sqliteFull();
    const firstFailure = time.now();
    for (const id of ["a", "b", "c", "d"]) engine.observe(id, makeResult("failed", time.now()));
    await time.advance(10_000);
    expect(engine.pendingCount).toBe(4);
    engine.setPolicy({ canaries: [], maintenance: [], maxPending: 2 });
    expect(engine.queueState).toEqual({ length: 4, max: 2, dropped: 0 });
    engine.observe("e", makeResult("failed", time.now()));
    expect(seen.dropped.map((t) => t.targetId)).toEqual(["e"]);
    expect(engine.pendingCount).toBe(4);
    ledger.failWith = null;
    await time.advance(60_000);
    await engine.flush();
    // all four queued before the smaller bound are committed, in order
    expect(chain(ledger.committed)).toEqual(
      ["a", "b", "c", "d"].map((id) => `${id}:unknown->down@${firstFailure}`),
    );
    engine.observe("e", makeResult("failed", time.now()));
    await engine.flush();
    expect(chain(ledger.committed).at(-1)).toBe(`e:unknown->down@${firstFailure + 10_000}`);
  });

  it("takes a reloaded larger bound: decisions put off are queued again", async () => {
    const { time, ledger, engine, seen } = harness({ maxPending: 1 });
    for (const id of ["a", "b", "c"]) engine.restore(makeTarget(id, { failureThreshold: 1 }), null);
    ledger.failWith = sqliteFull();
    for (const id of ["a", "b"]) engine.observe(id, makeResult("failed", time.now()));
    expect(seen.dropped.map((t) => t.targetId)).toEqual(["b"]);
    engine.setPolicy({ canaries: [], maintenance: [], maxPending: 3 });
    await time.advance(10_000);
    for (const id of ["b", "c"]) engine.observe(id, makeResult("failed", time.now()));
    expect(engine.queueState).toEqual({ length: 3, max: 3, dropped: 1 });
  });

  it("never records a flap that ended while its target was put off", async () => {
    const { time, ledger, engine } = harness({ maxPending: 1 });
    for (const id of ["a", "b"]) {
      engine.restore(makeTarget(id, { failureThreshold: 1, successThreshold: 1 }), null);
    }
    ledger.failWith = sqliteFull();
    engine.observe("a", makeResult("ok", time.now()));
    await time.advance(10_000);
    engine.observe("b", makeResult("ok", time.now()));
    await time.advance(10_000);
    // b is held in unknown while the queue is full; a goes down
    expect(engine.pendingCount).toBe(1);
    ledger.failWith = null;
    await time.advance(60_000);
    await engine.flush();
    engine.observe("b", makeResult("failed", time.now()));
    await engine.flush();
    expect(chain(ledger.committed).map((c) => c.split("@")[0])).toEqual([
      "a:unknown->up",
      "b:unknown->down",
    ]);
  });

  it("stays unready until a failing heartbeat succeeds too, and tells of the recovery once", async () => {
    const { time, ledger, engine, seen } = harness();
    engine.restore(makeTarget("portal", { failureThreshold: 1 }), null);
    ledger.failWith = sqliteFull();
    ledger.heartbeatFailsWith = sqliteFull();
    const heartbeat = engine.heartbeat(1000);
    heartbeat.start();
    // a beat fails, then a commit
    await time.advance(1000);
    engine.observe("portal", makeResult("failed", time.now()));
    await time.advance(200);
    expect(engine.ledgerTrouble?.operations).toEqual(["heartbeat", "commit"]);
    ledger.failWith = null;
    await time.advance(2000);
    await engine.flush();
    expect(engine.pendingCount).toBe(0);
    expect(engine.ledgerTrouble?.operations).toEqual(["heartbeat"]);
    expect(seen.writable).toEqual([]);
    // the next beat (backed off: every beat so far failed for want of space) succeeds
    ledger.heartbeatFailsWith = null;
    expect(heartbeat.nextDelayMs).toBe(4000);
    await time.advance(heartbeat.nextDelayMs);
    heartbeat.stop();
    expect(engine.ledgerTrouble).toBeNull();
    expect(seen.writable).toHaveLength(1);
    expect(seen.unwritable).toHaveLength(1);
    expect(time.pendingTimers).toBe(0);
  });

  it("ends the trouble when the ledger answers again, even with a refusal", async () => {
    const { time, ledger, engine, seen } = harness();
    engine.restore(makeTarget("portal", { failureThreshold: 1 }), null);
    ledger.failWith = sqliteFull();
    engine.observe("portal", makeResult("failed", time.now()));
    await time.advance(200);
    expect(engine.ledgerTrouble).not.toBeNull();
    ledger.failWith = new LedgerError("LEDGER_TRANSITION_CHAIN", "from does not match");
    await time.advance(2000);
    expect(engine.pendingCount).toBe(0);
    expect(engine.ledgerTrouble).toBeNull();
    expect(seen.writable).toHaveLength(1);
  });

  it("drains a large backlog in bounded transactions, in order", async () => {
    const { time, ledger, engine } = harness();
    const ids = Array.from({ length: 1200 }, (_, i) => `gate-${i}`);
    for (const id of ids) {
      engine.restore(makeTarget(id, { failureThreshold: 1, successThreshold: 1 }), null);
    }
    ledger.failWith = sqliteFull();
    const decided: string[] = [];
    for (let round = 0; round < 10; round++) {
      for (const id of ids) {
        engine.observe(id, makeResult(round % 2 ? "ok" : "failed", time.now()));
        decided.push(`${id}@${time.now()}`);
      }
      await time.advance(10_000);
    }
    expect(engine.pendingCount).toBe(12_000);
    ledger.failWith = null;
    await time.advance(30_000);
    await engine.flush();
    const sizes = ledger.attempts.filter((a) => a.ok).map((a) => a.size);
    expect(sizes.length).toBeGreaterThan(2);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5000);
    expect(ledger.committed.map((t) => `${t.targetId}@${t.at}`)).toEqual(decided);
  });
});
