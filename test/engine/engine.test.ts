import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { LedgerError } from "../../src/ledger/errors.js";
import type { Ledger, NewTransition, StoredTransition } from "../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { on } from "../support/engine-events.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { FakeTime, settle } from "../support/time.js";

let dir: string;
let ledger: Ledger;
let time: FakeTime;
let runId: number;
let commits: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "pantau-engine-"));
  const sqlite = openSqliteLedger(join(dir, "ledger.db"));
  commits = 0;
  // Count ledger transactions: each commit() call is one.
  ledger = Object.assign(Object.create(sqlite) as Ledger, {
    commit: (id: number, batch: readonly NewTransition[]) => {
      commits++;
      return sqlite.commit(id, batch);
    },
  });
  time = new FakeTime();
  runId = (await ledger.startRun("engine-test", time.now())).run.id;
});

afterEach(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function makeEngine(target = ledger): Engine {
  return new Engine({
    clock: time,
    timers: time,
    ledger: target,
    runId,
    instance: "engine-test",
    runProbe: async () => makeResult("ok", time.now()),
  });
}

/** Lets setImmediate-scheduled commits run. */
const drain = () => new Promise((resolve) => setImmediate(resolve)).then(settle);

describe("Engine", () => {
  it("publishes a transition only after the ledger committed it", async () => {
    const engine = makeEngine();
    const target = makeTarget("portal", { failureThreshold: 1 });
    engine.restore(target, null);
    const seen: StoredTransition[] = [];
    on(engine, { committed: ({ transitions }) => seen.push(...transitions) });
    engine.observe("portal", makeResult("failed", time.now()));
    // Decided but not committed: nothing visible yet.
    expect(engine.committedState("portal")?.state).toBe("unknown");
    expect(seen).toHaveLength(0);
    await engine.flush();
    expect(seen.map((t) => t.to)).toEqual(["down"]);
    expect(engine.committedState("portal")?.state).toBe("down");
    const stored = await ledger.transitions({ targetId: "portal" });
    expect(stored.map((t) => t.id)).toEqual(seen.map((t) => t.id));
  });

  it("commits 2,000 simultaneous outages in a few transactions, not 2,000", async () => {
    const engine = makeEngine();
    const ids = Array.from({ length: 2000 }, (_, i) => `autogate-${i}`);
    for (const id of ids) engine.restore(makeTarget(id, { failureThreshold: 3 }), null);
    const start = time.now();
    for (let round = 0; round < 3; round++) {
      for (const id of ids) engine.observe(id, makeResult("failed", start + round * 10_000));
      await drain();
    }
    await engine.flush();
    const stored = await ledger.transitions({});
    expect(stored).toHaveLength(2000);
    expect(stored.every((t) => t.to === "down" && t.at === start)).toBe(true);
    expect(commits).toBeLessThanOrEqual(3);
    expect(await ledger.outages({ open: true })).toHaveLength(2000);
  });

  it("keeps decided transitions, in order, while the ledger fails, and commits them later", async () => {
    let failing = true;
    const flaky: Ledger = Object.assign(Object.create(ledger) as Ledger, {
      commit: (id: number, batch: readonly NewTransition[]) =>
        failing ? Promise.reject(new Error("disk I/O error")) : ledger.commit(id, batch),
    });
    const engine = makeEngine(flaky);
    engine.restore(makeTarget("core", { failureThreshold: 1, successThreshold: 1 }), null);
    const errors: number[] = [];
    on(engine, { write: (write) => write.result === "error" && errors.push(write.pending) });
    engine.observe("core", makeResult("failed", time.now()));
    await drain();
    engine.observe("core", makeResult("ok", time.now() + 1000));
    await drain();
    expect(errors[0]).toBe(1);
    expect(engine.committedState("core")?.state).toBe("unknown");
    failing = false;
    await time.advance(1000);
    await engine.flush();
    const stored = await ledger.transitions({ targetId: "core" });
    expect(stored.map((t) => `${t.from}->${t.to}`)).toEqual(["unknown->down", "down->up"]);
    expect(engine.committedState("core")?.state).toBe("up");
  });

  it("records each outage's sampling bounds: the last ok probe before it, the last failed one in it", async () => {
    const engine = makeEngine();
    engine.restore(makeTarget("portal", { failureThreshold: 2, successThreshold: 2 }), null);
    const t0 = time.now();
    for (const [result, seconds] of [
      ["ok", 0],
      ["degraded", 10],
      ["failed", 20],
      ["failed", 30],
      ["failed", 40],
      ["ok", 50],
      ["ok", 60],
    ] as const) {
      engine.observe("portal", makeResult(result, t0 + seconds * 1000));
      await engine.flush();
    }
    const [outage] = await ledger.outages({ targetId: "portal" });
    // a degraded probe did not fail: the failure began after 10 s; the outage ended after 40 s
    expect(outage).toMatchObject({
      start: t0 + 20_000,
      lastOkAt: t0 + 10_000,
      end: t0 + 50_000,
      lastFailedAt: t0 + 40_000,
    });
    // a removal ends an outage after its last failed probe too
    engine.observe("portal", makeResult("failed", t0 + 70_000));
    engine.observe("portal", makeResult("failed", t0 + 80_000));
    await engine.flush();
    await time.advance(90_000);
    engine.remove("portal");
    await engine.flush();
    const [, removed] = await ledger.outages({ targetId: "portal" });
    expect(removed).toMatchObject({
      lastOkAt: t0 + 60_000,
      lastFailedAt: t0 + 80_000,
      endReason: "removed",
    });
  });

  it("ends the open outage of a removed target with reason `removed`", async () => {
    const engine = makeEngine();
    engine.restore(makeTarget("evisa", { failureThreshold: 1 }), null);
    engine.observe("evisa", makeResult("failed", time.now()));
    await engine.flush();
    await time.advance(60_000);
    engine.remove("evisa");
    await engine.flush();
    const [outage] = await ledger.outages({ targetId: "evisa" });
    expect(outage?.endReason).toBe("removed");
    expect(outage!.end! - outage!.start).toBe(60_000);
  });

  it("restores a down target so that its recovery closes the outage opened before the restart", async () => {
    const engine = makeEngine();
    const target = makeTarget("simkim-core", { failureThreshold: 1, successThreshold: 2 });
    engine.restore(target, null);
    const wentDown = time.now();
    engine.observe("simkim-core", makeResult("failed", wentDown));
    await engine.flush();
    const [latest] = await ledger.latestTransitions("engine-test");

    const restarted = makeEngine();
    restarted.restore(target, latest ?? null);
    const published: (number | null)[] = [];
    on(restarted, {
      committed: ({ transitions }) => published.push(...transitions.map((t) => t.outageStart)),
    });
    expect(restarted.committedState("simkim-core")?.state).toBe("down");
    restarted.observe("simkim-core", makeResult("ok", wentDown + 50_000));
    restarted.observe("simkim-core", makeResult("ok", wentDown + 60_000));
    await restarted.flush();
    const [outage] = await ledger.outages({ targetId: "simkim-core" });
    expect(outage).toMatchObject({
      start: wentDown,
      end: wentDown + 50_000,
      endReason: "recovered",
    });
    // the recovery is published with the true start of the outage it ends
    expect(published).toEqual([wentDown]);
  });

  it("drops a batch the ledger refuses as inconsistent and rewinds the target, instead of retrying forever", async () => {
    let refuse = true;
    const strict: Ledger = Object.assign(Object.create(ledger) as Ledger, {
      commit: (id: number, batch: readonly NewTransition[]) =>
        refuse
          ? Promise.reject(new LedgerError("LEDGER_TRANSITION_CHAIN", "from does not match"))
          : ledger.commit(id, batch),
    });
    const engine = makeEngine(strict);
    engine.restore(makeTarget("mpaspor", { failureThreshold: 1 }), null);
    const dropped: number[] = [];
    on(engine, {
      write: (write) => write.result === "refused" && dropped.push(write.dropped.length),
    });
    engine.observe("mpaspor", makeResult("failed", time.now()));
    await engine.flush();
    expect(dropped).toEqual([1]);
    expect(engine.pendingCount).toBe(0);
    refuse = false;
    engine.observe("mpaspor", makeResult("failed", time.now() + 5_000));
    await engine.flush();
    const stored = await ledger.transitions({ targetId: "mpaspor" });
    expect(stored.map((t) => [t.from, t.to, t.at])).toEqual([
      ["unknown", "down", time.now() + 5_000],
    ]);
  });

  it("never orders a target's transitions backwards when the wall clock steps back", async () => {
    const engine = makeEngine();
    engine.restore(makeTarget("bth", { failureThreshold: 1, successThreshold: 1 }), null);
    const t = time.now();
    engine.observe("bth", makeResult("failed", t));
    engine.observe("bth", makeResult("ok", t - 30_000));
    await engine.flush();
    const stored = await ledger.transitions({ targetId: "bth" });
    expect(stored.map((x) => x.at)).toEqual([t, t]);
  });
});
