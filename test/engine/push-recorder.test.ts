/**
 * The push recorder's batching: pushes of one turn share a write, and writes are at least
 * `minGapMs` apart, so a steady stream of pushes does not commit (and fsync) once per push.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { PushRecorder } from "../../src/engine/push-recorder.js";
import type { PushRecord } from "../../src/ledger/ledger.js";
import { FakeLedger } from "../support/fake-ledger.js";
import { FakeTime } from "../support/time.js";

const push = (targetId: string, at: number): PushRecord => ({
  targetId,
  at,
  status: "ok",
  message: "",
});

function recorder(minGapMs: number) {
  const ledger = new FakeLedger();
  const outcomes = { writeSucceeded: () => undefined, writeFailed: () => undefined };
  const time = new FakeTime(0);
  return {
    ledger,
    recorder: new PushRecorder({ ledger, runId: 1, timers: time, outcomes, minGapMs }),
  };
}

describe("the push recorder", () => {
  it("writes a push that comes after a quiet gap at once", async () => {
    const { ledger, recorder: r } = recorder(10_000);
    expect(await r.record(push("a", 1))).toBe(true);
    expect(ledger.pushWrites).toEqual([{ size: 1, ok: true }]);
  });

  it("holds pushes that come within the gap after a write, and writes them together", async () => {
    const { ledger, recorder: r } = recorder(10_000);
    await r.record(push("a", 1));
    const answers = [r.record(push("b", 2))];
    await nextTurn();
    answers.push(r.record(push("c", 3)));
    await nextTurn();
    // held: the gap (10 s) has not passed
    expect(ledger.pushWrites).toHaveLength(1);
    await r.flush();
    expect(await Promise.all(answers)).toEqual([true, true]);
    expect(ledger.pushWrites).toEqual([
      { size: 1, ok: true },
      { size: 2, ok: true },
    ]);
  });

  it("writes what it held once the gap has passed", async () => {
    const { ledger, recorder: r } = recorder(30);
    await r.record(push("a", 1));
    const wrote = performance.now();
    await r.record(push("b", 2));
    expect(performance.now() - wrote).toBeGreaterThanOrEqual(29);
    expect(ledger.pushWrites).toEqual([
      { size: 1, ok: true },
      { size: 1, ok: true },
    ]);
  });

  it("stopped, holds no timer: what is pending is written by the daemon's last flush", async () => {
    const { ledger, recorder: r } = recorder(10_000);
    await r.record(push("a", 1));
    const answer = r.record(push("b", 2));
    r.stop();
    await r.flush();
    expect(await answer).toBe(true);
    expect(ledger.pushes.get("b")?.at).toBe(2);
  });
});
