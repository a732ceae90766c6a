import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { type Election, HaMember } from "../../src/fleet/ha-member.js";
import type { StoredTransition } from "../../src/ledger/ledger.js";
import { openSqliteLedger, type SqliteLedger } from "../../src/ledger/sqlite.js";
import { on } from "../support/engine-events.js";
import { memoryLogger } from "../support/memory-log.js";
import { makeResult, makeTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

/**
 * An HA pair in one process: two engines on one ledger, each with its HaMember, and an
 * in-memory lock standing in for PostgreSQL's advisory lock (the e2e test uses the real one).
 */

class FakeLock {
  holder: string | null = null;
  election(name: string): Election & { lose(): void } {
    return {
      tryAcquire: async () => {
        this.holder ??= name;
        return this.holder === name;
      },
      check: async () => this.holder === name,
      release: async () => {
        if (this.holder === name) this.holder = null;
      },
      lose: () => {
        if (this.holder === name) this.holder = null;
      },
    };
  }
}

const HEARTBEAT = 1000;
const target = makeTarget("portal", { failureThreshold: 2, successThreshold: 2 });
let dir: string;
let ledger: SqliteLedger;
let time: FakeTime;
let lock: FakeLock;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pantau-ha-"));
  ledger = openSqliteLedger(join(dir, "ledger.db"));
  time = new FakeTime();
  lock = new FakeLock();
});

afterEach(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

async function member(instance: string) {
  const { run } = await ledger.startRun(instance, time.now(), {
    haGroup: "jkt",
    liveWithinMs: 2 * HEARTBEAT,
  });
  const engine = new Engine({
    clock: time,
    timers: time,
    ledger,
    runId: run.id,
    instance: "jkt",
    runProbe: async () => makeResult("ok", time.now()),
  });
  engine.restore(target, null);
  const committed: StoredTransition[] = [];
  on(engine, { committed: ({ transitions }) => committed.push(...transitions) });
  const election = lock.election(instance);
  const registry = new Registry();
  const events: string[] = [];
  const ha = new HaMember({
    haGroup: "jkt",
    runId: run.id,
    ledger,
    engine,
    election,
    clock: time,
    timers: time,
    everyMs: HEARTBEAT,
    logger: memoryLogger().logger,
    registry,
    promoted: async () => {
      events.push("promoted");
    },
    demoted: async () => {
      events.push("demoted");
    },
  });
  const leaderGauge = async () =>
    (await registry.getSingleMetric("pantau_ha_leader")?.get())?.values[0]?.value;
  return { run, engine, ha, election, committed, events, leaderGauge };
}

const chain = async () =>
  (await ledger.transitions({ instance: "jkt" })).map((t) => [t.from, t.to, t.at, t.runId]);

describe("HaMember", () => {
  it("the lock holder leads and writes; the standby writes nothing but shows what was committed", async () => {
    const a = await member("jkt-a");
    const b = await member("jkt-b");
    await a.ha.tick();
    await b.ha.tick();
    expect([a.ha.role, b.ha.role]).toEqual(["leader", "standby"]);
    expect([await a.leaderGauge(), await b.leaderGauge()]).toEqual([1, 0]);
    const t0 = time.now();
    a.engine.observe("portal", makeResult("ok", t0));
    b.engine.observe("portal", makeResult("ok", t0 + 3));
    await a.engine.flush();
    await b.engine.flush();
    expect(await chain()).toEqual([["unknown", "up", t0, a.run.id]]);
    // before its refresh the standby shows nothing it did not read from the ledger
    expect(b.engine.committedState("portal")?.state).toBe("unknown");
    await b.ha.tick();
    expect(b.engine.committedState("portal")).toMatchObject({ state: "up", since: t0 });
    expect(b.committed.map((t) => [t.to, t.runId])).toEqual([["up", a.run.id]]);
    expect(await ledger.leader("jkt")).toMatchObject({ epoch: 1, runId: a.run.id });
  });

  it("takes over a leader that died before committing: writes its warm state from its own streak start", async () => {
    const a = await member("jkt-a");
    const b = await member("jkt-b");
    await a.ha.tick();
    await b.ha.tick();
    const t0 = time.now();
    a.engine.observe("portal", makeResult("ok", t0));
    b.engine.observe("portal", makeResult("ok", t0 + 3));
    await a.engine.flush();
    // the leader sees one failure and dies; the standby sees two (its threshold) and then leads
    a.engine.observe("portal", makeResult("failed", t0 + 1000));
    a.election.lose();
    b.engine.observe("portal", makeResult("failed", t0 + 1003));
    b.engine.observe("portal", makeResult("failed", t0 + 2003));
    await b.ha.tick();
    expect(b.ha.role).toBe("leader");
    expect(b.events).toEqual(["promoted"]);
    await b.engine.flush();
    expect(await chain()).toEqual([
      ["unknown", "up", t0, a.run.id],
      ["up", "down", t0 + 1003, b.run.id],
    ]);
    const [outage] = await ledger.outages({ instance: "jkt" });
    expect(outage).toMatchObject({ start: t0 + 1003, reason: "status", end: null });
    // the stale leader's next commit is fenced: it demotes and drops what it decided
    a.engine.observe("portal", makeResult("failed", t0 + 2000));
    await a.engine.flush();
    await time.advance(0);
    expect(a.ha.role).toBe("standby");
    expect(a.events).toEqual(["promoted", "demoted"]);
    expect(a.engine.pendingCount).toBe(0);
    expect(await chain()).toHaveLength(2);
  });

  it("writes nothing on takeover when the warm state is the committed one (no duplicate)", async () => {
    const a = await member("jkt-a");
    const b = await member("jkt-b");
    await a.ha.tick();
    await b.ha.tick();
    const t0 = time.now();
    for (const [i, result] of (["ok", "failed", "failed"] as const).entries()) {
      a.engine.observe("portal", makeResult(result, t0 + i * 1000));
      b.engine.observe("portal", makeResult(result, t0 + i * 1000 + 3));
    }
    await a.engine.flush();
    a.election.lose();
    await b.ha.tick();
    await b.engine.flush();
    expect((await chain()).map(([from, to]) => `${from}>${to}`)).toEqual(["unknown>up", "up>down"]);
    // recovery after the takeover ends the old leader's outage from its true start
    b.engine.observe("portal", makeResult("ok", t0 + 3003));
    b.engine.observe("portal", makeResult("ok", t0 + 4003));
    await b.engine.flush();
    expect(await ledger.outages({ instance: "jkt" })).toMatchObject([
      { start: t0 + 1000, end: t0 + 3003, endReason: "recovered" },
    ]);
    expect(b.committed.at(-1)).toMatchObject({ to: "up", outageStart: t0 + 1000 });
  });

  it("a leader whose lock is gone demotes at its next round", async () => {
    const a = await member("jkt-a");
    await a.ha.tick();
    expect(a.ha.role).toBe("leader");
    a.election.lose();
    await a.ha.tick();
    expect(a.ha.role).toBe("standby");
    expect(await a.leaderGauge()).toBe(0);
    expect(a.engine.writes).toBe(false);
  });
});
