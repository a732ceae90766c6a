import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Election } from "../../src/fleet/ha-member.js";
import type { TargetState } from "../../src/health/types.js";
import type { NewTransition, StoredTransition } from "../../src/ledger/ledger.js";
import { openSqliteLedger, type SqliteLedger } from "../../src/ledger/sqlite.js";
import { QuorumDecider, type QuorumEvent, quorumChain } from "../../src/quorum/decider.js";
import { transition } from "../ledger/contract.js";
import { memoryLogger } from "../support/memory-log.js";
import { makeTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

/**
 * The decider against a real (SQLite) ledger: three vantages commit their own transitions as
 * their engines would, and the decider's rounds turn them into the group's chain.
 */

const T0 = Date.UTC(2024, 5, 20, 1, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;
const GROUP = "estate";
const VANTAGES = ["cgk", "dr", "sub"] as const;
const gate = makeTarget("autogate-dps", { interval: 2_000, failureThreshold: 2, site: "dps" });
const core = makeTarget("simkim-core", { interval: 2_000, failureThreshold: 2 });
const gateOnCore = { ...gate, dependsOn: [core.id] };
/** The targets the deciders are configured with. */
let targets = [gate];

class FakeElection implements Election {
  constructor(public winning = true) {}
  holding = false;
  async tryAcquire(): Promise<boolean> {
    this.holding = this.winning;
    return this.holding;
  }
  async check(): Promise<boolean> {
    return this.holding && this.winning;
  }
  async release(): Promise<void> {
    this.holding = false;
  }
}

let ledger: SqliteLedger;
let time: FakeTime;
let runs: Map<string, number>;
let states: Map<string, TargetState>;
let events: QuorumEvent[];
let deciders: QuorumDecider[];
/** Vantages that stopped beating (their daemons died). */
let silent: Set<string>;

beforeEach(async () => {
  ledger = openSqliteLedger(":memory:");
  time = new FakeTime(s(-60));
  runs = new Map();
  states = new Map();
  events = [];
  deciders = [];
  silent = new Set();
  targets = [gate];
  // every vantage alive beats each second of fake time, as its daemon would
  const beat = () => {
    for (const vantage of VANTAGES) {
      if (!silent.has(vantage)) void ledger.heartbeat(runs.get(vantage) as number, time.now());
    }
    time.setTimeout(beat, 1000);
  };
  time.setTimeout(beat, 1000);
  for (const vantage of VANTAGES) {
    const { run } = await ledger.startRun(vantage, time.now(), { quorumGroup: GROUP });
    runs.set(vantage, run.id);
    await see(vantage, "up", -60);
  }
});

afterEach(async () => {
  for (const decider of deciders) await decider.stop();
  await ledger.close();
});

function decider(instance: string, election = new FakeElection(), minDown = 2): QuorumDecider {
  const d = new QuorumDecider({
    group: GROUP,
    minDown: { count: minDown },
    deadAfterMs: 15_000,
    instance,
    ledger,
    election,
    targets: () => targets,
    clock: time,
    timers: time,
    pollMs: 250,
    heartbeatMs: 5_000,
    logger: memoryLogger().logger,
    publish: (event) => events.push(event),
  });
  deciders.push(d);
  return d;
}

/** `vantage` commits its own transition of a target (the gate) to `to` at `seconds`. */
async function see(
  vantage: string,
  to: TargetState,
  seconds: number,
  targetId = gate.id,
  overrides: Partial<NewTransition> = {},
): Promise<StoredTransition> {
  const key = `${vantage}/${targetId}`;
  const from = states.get(key) ?? "unknown";
  states.set(key, to);
  const [stored] = await ledger.commit(runs.get(vantage) as number, [
    transition(targetId, from, to, s(seconds), {
      previousProbeAt: s(seconds - 2),
      reason: to === "down" ? "timeout" : null,
      detail: to === "down" ? `timed out from ${vantage}` : null,
      ...overrides,
    }),
  ]);
  return stored as StoredTransition;
}

async function at(seconds: number, d: QuorumDecider): Promise<void> {
  await time.advance(Math.max(0, s(seconds) - time.now()));
  await d.tick();
}

const chain = () => ledger.transitions({ instance: quorumChain(GROUP) });

describe("the quorum decider", () => {
  it("commits one outage from the second vantage's first failed probe to the vantages' recovery", async () => {
    const d = decider("cgk");
    await d.start();
    await at(-50, d);
    expect((await chain()).map((t) => [t.from, t.to, t.at])).toEqual([["unknown", "up", s(-60)]]);
    await see("cgk", "down", 10);
    await at(14, d);
    // one vantage is a disagreement, not an outage
    expect((await chain()).length).toBe(1);
    await see("dr", "down", 11);
    await see("sub", "down", 11.5);
    await at(16, d);
    const [, down] = await chain();
    expect(down).toMatchObject({
      from: "up",
      to: "down",
      at: s(11),
      reason: "timeout",
      detail: "timed out from dr",
      // the group's condition began after two vantages last saw it healthy: the 2nd of 8, 9, 9.5
      previousProbeAt: s(9),
      service: gate.service,
      site: "dps",
    });
    const votes = (await ledger.quorumVotes([down!.id])).get(down!.id);
    expect(votes).toEqual([
      { vantage: "cgk", vote: "down", since: s(10) },
      { vantage: "dr", vote: "down", since: s(11) },
      { vantage: "sub", vote: "up", since: s(-60) },
    ]);
    // recovery: down while two see it down; ends when the second of three recovers
    await see("sub", "up", 30);
    await see("cgk", "up", 31);
    await at(33, d);
    await see("dr", "up", 32);
    await at(34, d);
    expect((await chain()).map((t) => [t.to, t.at])).toEqual([
      ["up", s(-60)],
      ["down", s(11)],
      ["up", s(31)],
    ]);
    const [outage] = await ledger.outages({ instance: quorumChain(GROUP) });
    expect(outage).toMatchObject({ start: s(11), end: s(31), lastOkAt: s(9) });
  });

  it("judges commits that arrive together as one instant, whatever their order", async () => {
    const d = decider("cgk");
    await d.start();
    await see("sub", "down", 12);
    await see("cgk", "down", 10);
    await see("dr", "down", 11);
    await at(20, d);
    expect((await chain()).map((t) => [t.to, t.at])).toEqual([
      ["up", s(-60)],
      ["down", s(11)],
    ]);
  });

  it("publishes a disagreement's votes and commits nothing for it", async () => {
    const d = decider("cgk");
    await d.start();
    await see("dr", "down", 10);
    await at(12, d);
    const last = events.filter((e) => e.kind === "votes").at(-1);
    expect(last).toMatchObject({
      kind: "votes",
      targets: [
        {
          targetId: gate.id,
          state: "up",
          counts: { members: 3, voters: 3, down: 1, impaired: 1 },
        },
      ],
    });
    expect((await chain()).length).toBe(1);
  });

  it("stops counting a vantage that went silent for dead_after, from its last heartbeat", async () => {
    const d = decider("cgk", new FakeElection(), 2);
    await d.start();
    await at(0, d);
    await see("cgk", "down", 5);
    await see("sub", "down", 6);
    await at(7, d);
    expect((await chain()).at(-1)).toMatchObject({ to: "down", at: s(6) });
    // sub dies: its last heartbeat is at 7 s; cgk and dr keep beating
    silent.add("sub");
    await at(30, d);
    // with sub dead, one down vote of two voters is short of min_down: the outage ends
    const last = (await chain()).at(-1);
    expect(last).toMatchObject({ from: "down", to: "up", at: s(7) });
    const votes = (await ledger.quorumVotes([last!.id])).get(last!.id);
    expect(votes).toContainEqual({ vantage: "sub", vote: "dead", since: s(7) });
  });

  it("a standby takes over from the chain as committed: nothing lost, nothing twice", async () => {
    const first = decider("cgk");
    const secondElection = new FakeElection(false);
    const second = decider("dr", secondElection);
    await first.start();
    await second.start();
    await see("cgk", "down", 10);
    await see("dr", "down", 11);
    await at(12, first);
    await at(12, second);
    expect(second.isLeader).toBe(false);
    // the first decider dies; what the vantages commit meanwhile is read by the next one
    await first.stop();
    await see("sub", "down", 13);
    await see("cgk", "up", 20);
    await see("dr", "up", 21);
    secondElection.winning = true;
    await at(25, second);
    expect(second.isLeader).toBe(true);
    expect((await chain()).map((t) => [t.to, t.at])).toEqual([
      ["up", s(-60)],
      ["down", s(11)],
      ["up", s(21)],
    ]);
  });

  it("a decider whose claim was taken is fenced: it writes nothing and stands by", async () => {
    const firstElection = new FakeElection();
    const first = decider("cgk", firstElection);
    await first.start();
    // the first's lock connection broke unseen (its server released the lock): the second
    // wins it, and its claim fences the first before the first notices
    firstElection.winning = false;
    const second = decider("dr");
    await second.start();
    await see("cgk", "down", 10);
    await see("dr", "down", 11);
    await at(12, first);
    expect(first.isLeader).toBe(false);
    await at(12.5, second);
    const downs = (await chain()).filter((t) => t.to === "down");
    const leader = await ledger.leader(quorumChain(GROUP));
    expect(downs.map((t) => t.runId)).toEqual([leader?.runId]);
    expect(second.isLeader).toBe(true);
  });
});

describe("the quorum decider: dependencies and page holds", () => {
  beforeEach(async () => {
    targets = [core, gateOnCore];
    for (const vantage of VANTAGES) await see(vantage, "up", -60, core.id);
  });

  const groupOutage = async (targetId: string) =>
    (await ledger.outages({ instance: quorumChain(GROUP), targetId }))[0];
  const committedEvents = () =>
    events.filter((e): e is Extract<QuorumEvent, { kind: "committed" }> => e.kind === "committed");

  it("a gate the vantages hold blocked by the core is blocked for the group; its page waits, then goes as blocked", async () => {
    const d = decider("cgk");
    await d.start();
    // every vantage sees the gate down first, its page held on the core (not yet decided)
    for (const [i, v] of VANTAGES.entries())
      await see(v, "down", 10 + i / 10, gate.id, { pageHeld: true });
    await at(12, d);
    expect(await groupOutage(gate.id)).toMatchObject({ start: s(10.1), blockedBy: null });
    const opened = committedEvents().find((e) => e.transitions.some((t) => t.to === "down"));
    expect(opened?.waitingOn).toEqual([[core.id]]);
    // the core goes down for the vantages, which block their gate outages on it and settle
    for (const [i, v] of VANTAGES.entries()) {
      await see(v, "down", 9 + i / 10, core.id);
      const run = runs.get(v) as number;
      await ledger.commit(
        run,
        [],
        [{ targetId: gate.id, at: s(13), blockedBy: core.id }],
        [{ targetId: gate.id, at: s(13) }],
      );
    }
    await at(14, d);
    expect(await groupOutage(gate.id)).toMatchObject({ blockedBy: core.id });
    const released = committedEvents().flatMap((e) => e.releases);
    expect(released).toEqual([{ targetId: gate.id, waitingOn: [] }]);
  });

  it("a gate the vantages settle as its own pages as its own", async () => {
    const d = decider("cgk");
    await d.start();
    for (const [i, v] of VANTAGES.entries())
      await see(v, "down", 10 + i / 10, gate.id, { pageHeld: true });
    await at(12, d);
    for (const v of VANTAGES) {
      await ledger.commit(runs.get(v) as number, [], [], [{ targetId: gate.id, at: s(13) }]);
    }
    await at(14, d);
    expect(await groupOutage(gate.id)).toMatchObject({ blockedBy: null });
    expect(committedEvents().flatMap((e) => e.releases)).toEqual([
      { targetId: gate.id, waitingOn: [] },
    ]);
    expect(committedEvents().flatMap((e) => e.attributions)).toEqual([]);
  });

  it("a held page goes out at its bound when the vantages never settle", async () => {
    const d = decider("cgk");
    await d.start();
    for (const [i, v] of VANTAGES.entries())
      await see(v, "down", 10 + i / 10, gate.id, { pageHeld: true });
    await at(12, d);
    expect(committedEvents().flatMap((e) => e.releases)).toEqual([]);
    // the core's bound: 2 × 2 s + its timeout after the group outage began, plus a second
    await at(10.1 + 4 + core.timeout / 1000 + 1.5, d);
    expect(committedEvents().flatMap((e) => e.releases)).toEqual([
      { targetId: gate.id, waitingOn: [] },
    ]);
  });
});
