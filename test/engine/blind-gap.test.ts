import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import type { LedgerWrite } from "../../src/engine/events.js";
import { LedgerError } from "../../src/ledger/errors.js";
import type { Gap } from "../../src/ledger/ledger.js";
import { on } from "../support/engine-events.js";
import { FakeLedger, sqliteFull } from "../support/fake-ledger.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

/** A ledger whose gap writes are recorded, and fail while `failGaps` says so. */
class GapLedger extends FakeLedger {
  failGaps: Error | null = null;
  readonly gapWrites: { op: "open" | "close"; gap?: Gap; id?: number; end?: number }[] = [];
  override async openGap(gap: Gap): Promise<number> {
    if (this.failGaps) throw this.failGaps;
    const id = await super.openGap(gap);
    this.gapWrites.push({ op: "open", gap, id });
    return id;
  }
  override async closeGap(id: number, end: number): Promise<void> {
    if (this.failGaps) throw this.failGaps;
    this.gapWrites.push({ op: "close", id, end });
  }
}

function harness() {
  const time = new FakeTime();
  const ledger = new GapLedger();
  const engine = new Engine({
    clock: time,
    timers: time,
    ledger,
    runId: 1,
    instance: "blind",
    canaries: ["canary"],
    runProbe: async () => makeResult("ok", time.now()),
    commitRetryMs: 1000,
  });
  engine.restore(makeTarget("canary", { failureThreshold: 1 }), null);
  const blind: [boolean, number][] = [];
  const writes: LedgerWrite[] = [];
  on(engine, {
    blind: ({ blind: b, at }) => blind.push([b, at]),
    write: ({ kind: _, ...write }) => writes.push(write),
  });
  return { time, ledger, engine, blind, writes };
}

describe("blind gaps go through the commit queue", () => {
  it("publishes blindness only once its gap is written, and its end once the gap is closed", async () => {
    const { time, ledger, engine, blind } = harness();
    const start = time.now();
    engine.observe("canary", makeResult("failed", start));
    // blind now (for /-/ready), but not published before the ledger has the gap
    expect(engine.blind?.since).toBe(start);
    expect(blind).toEqual([]);
    await engine.flush();
    expect(blind).toEqual([[true, start]]);
    engine.observe("canary", makeResult("ok", start + 10_000));
    await engine.flush();
    expect(blind).toEqual([
      [true, start],
      [false, start + 10_000],
    ]);
    expect(ledger.gapWrites).toEqual([
      { op: "open", gap: { instance: "blind", kind: "blind", start, end: null }, id: 1 },
      { op: "close", id: 1, end: start + 10_000 },
    ]);
  });

  it("counts a failing gap write, retries it with backoff, and publishes only when it succeeds", async () => {
    const { time, ledger, engine, blind, writes } = harness();
    ledger.failGaps = sqliteFull();
    const start = time.now();
    engine.observe("canary", makeResult("failed", start));
    await engine.flush();
    expect(blind).toEqual([]);
    expect(writes.map((w) => [w.what, w.result])).toEqual([["gap", "error"]]);
    expect(engine.ledgerTrouble?.error).toBe("SQLITE_FULL: database or disk is full");
    await time.advance(1000);
    expect(writes.map((w) => w.result)).toEqual(["error", "error"]);
    ledger.failGaps = null;
    // the backoff doubled: the next attempt is 2 s after the second
    await time.advance(1999);
    expect(blind).toEqual([]);
    await time.advance(1);
    await engine.flush();
    expect(writes.map((w) => w.result)).toEqual(["error", "error", "ok"]);
    expect(blind).toEqual([[true, start]]);
    expect(engine.ledgerTrouble).toBeNull();
  });

  it("drops a gap write the ledger refuses for ever, so it cannot hold up the rest", async () => {
    const { ledger, engine, blind, writes, time } = harness();
    ledger.failGaps = new LedgerError("LEDGER_INVALID", "gap ends before it starts", {});
    engine.observe("canary", makeResult("failed", time.now()));
    await engine.flush();
    expect(writes.map((w) => [w.what, w.result])).toEqual([["gap", "refused"]]);
    expect(blind).toEqual([[true, time.now()]]);
    expect(engine.ledgerTrouble).toBeNull();
  });
});
