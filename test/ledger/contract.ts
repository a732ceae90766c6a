import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TargetState } from "../../src/health/types.js";
import { LedgerError, type LedgerErrorCode } from "../../src/ledger/errors.js";
import type {
  Gap,
  Ledger,
  NewTransition,
  OutageRecord,
  StoredTransition,
} from "../../src/ledger/ledger.js";

/**
 * The Ledger contract (docs/states-and-outages.md), run against every store through the interface only.
 * `open` gives a fresh, empty ledger for each test; `cleanup` runs after it is closed.
 */
export function ledgerContract(
  name: string,
  open: () => Promise<Ledger>,
  cleanup?: () => Promise<void>,
): void {
  describe(`Ledger contract: ${name}`, () => {
    let ledger: Ledger;

    beforeEach(async () => {
      ledger = await open();
    });

    afterEach(async () => {
      await ledger.close();
      await cleanup?.();
    });

    describe("runs", () => {
      it("starts a first run with no previous run and no gap", async () => {
        const start = await ledger.startRun("a", 1_000);
        expect(start.previous).toBeNull();
        expect(start.gap).toBeNull();
        expect(start.run).toEqual({
          id: expect.any(Number),
          instance: "a",
          startedAt: 1_000,
          lastHeartbeat: 1_000,
          stoppedAt: null,
        });
        expect(await ledger.runs({ instance: "a" })).toEqual([start.run]);
        expect(await ledger.gaps({})).toEqual([]);
      });

      it("records heartbeats and a clean stop (which is also the last heartbeat)", async () => {
        const { run } = await ledger.startRun("a", 1_000);
        await ledger.heartbeat(run.id, 2_000);
        expect(await ledger.runs({})).toEqual([{ ...run, lastHeartbeat: 2_000 }]);
        await ledger.stopRun(run.id, 2_500);
        expect(await ledger.runs({})).toEqual([{ ...run, lastHeartbeat: 2_500, stoppedAt: 2_500 }]);
      });

      it("records a restart gap from the previous run's last heartbeat after a clean stop", async () => {
        const first = await ledger.startRun("a", 1_000);
        await ledger.heartbeat(first.run.id, 2_000);
        await ledger.stopRun(first.run.id, 2_500);
        const second = await ledger.startRun("a", 4_000);
        expect(second.previous).toEqual({ ...first.run, lastHeartbeat: 2_500, stoppedAt: 2_500 });
        const gap: Gap = { instance: "a", kind: "restart", start: 2_500, end: 4_000 };
        expect(second.gap).toEqual(gap);
        expect(second.run.id).not.toBe(first.run.id);
        expect(await ledger.gaps({ instance: "a" })).toEqual([gap]);
      });

      it("records a restart gap from the last heartbeat after a crash (no stop)", async () => {
        const first = await ledger.startRun("a", 1_000);
        await ledger.heartbeat(first.run.id, 1_500);
        const second = await ledger.startRun("a", 3_000);
        expect(second.previous).toEqual({ ...first.run, lastHeartbeat: 1_500, stoppedAt: null });
        expect(second.gap).toEqual({ instance: "a", kind: "restart", start: 1_500, end: 3_000 });
      });

      it("records no gap when the new run starts at the last heartbeat", async () => {
        const first = await ledger.startRun("a", 1_000);
        await ledger.stopRun(first.run.id, 2_000);
        const second = await ledger.startRun("a", 2_000);
        expect(second.gap).toBeNull();
        expect(await ledger.gaps({})).toEqual([]);
      });

      it("keeps instances apart", async () => {
        await ledger.startRun("a", 1_000);
        const other = await ledger.startRun("b", 5_000);
        expect(other.previous).toBeNull();
        expect(other.gap).toBeNull();
        expect((await ledger.runs({ instance: "b" })).map((run) => run.id)).toEqual([other.run.id]);
      });

      it("rejects heartbeats and stops of unknown or stopped runs", async () => {
        await expectLedgerError(ledger.heartbeat(424_242, 1), "LEDGER_RUN_NOT_FOUND", {
          runId: 424_242,
        });
        await expectLedgerError(ledger.stopRun(424_242, 1), "LEDGER_RUN_NOT_FOUND");
        const { run } = await ledger.startRun("a", 1_000);
        await ledger.stopRun(run.id, 2_000);
        await expectLedgerError(ledger.heartbeat(run.id, 3_000), "LEDGER_RUN_STOPPED", {
          runId: run.id,
        });
        await expectLedgerError(ledger.stopRun(run.id, 3_000), "LEDGER_RUN_STOPPED");
        expect(await ledger.runs({})).toEqual([{ ...run, lastHeartbeat: 2_000, stoppedAt: 2_000 }]);
      });
    });

    describe("runs query", () => {
      // a1 [0, 60] stopped; b1 [50, 80]; a2 [100, 400] running
      let ids: { a1: number; b1: number; a2: number };

      beforeEach(async () => {
        const a1 = (await ledger.startRun("a", 0)).run.id;
        await ledger.stopRun(a1, 60);
        const b1 = (await ledger.startRun("b", 50)).run.id;
        await ledger.heartbeat(b1, 80);
        const a2 = (await ledger.startRun("a", 100)).run.id;
        await ledger.heartbeat(a2, 400);
        ids = { a1, b1, a2 };
      });

      const cases: {
        query: { instance?: string; since?: number; until?: number };
        runs: string[];
      }[] = [
        { query: {}, runs: ["a1", "b1", "a2"] },
        { query: { instance: "a" }, runs: ["a1", "a2"] },
        { query: { instance: "c" }, runs: [] },
        { query: { since: 60 }, runs: ["a1", "b1", "a2"] },
        { query: { since: 61 }, runs: ["b1", "a2"] },
        { query: { until: 50 }, runs: ["a1"] },
        { query: { until: 51 }, runs: ["a1", "b1"] },
        { query: { since: 81, until: 100 }, runs: [] },
        { query: { since: 400, instance: "a" }, runs: ["a2"] },
      ];

      it.each(cases)("runs($query) overlap [startedAt, lastHeartbeat]", async ({ query, runs }) => {
        const byId = new Map(Object.entries(ids).map(([label, id]) => [id, label]));
        const found = await ledger.runs(query);
        expect(found.map((run) => byId.get(run.id))).toEqual(runs);
      });
    });

    describe("commit", () => {
      it("stores every field and returns the transitions with ids in batch order", async () => {
        const { run } = await ledger.startRun("a", 0);
        const batch = [
          transition("web-cgk", "unknown", "up", 100, { service: "web", site: "CGK" }),
          transition("gate-cgk", "unknown", "down", 100, {
            reason: "timeout",
            detail: "no response within 5s",
            blockedBy: "pdns",
            maintenance: true,
          }),
          transition("web-cgk", "up", "degraded", 200, {
            reason: "slow",
            detail: "2.1s",
            previousProbeAt: 170,
          }),
        ];
        const stored = await ledger.commit(run.id, batch);
        expect(stored).toEqual(
          batch.map((t) => ({ ...t, id: expect.any(Number), runId: run.id, instance: "a" })),
        );
        const ids = stored.map((t) => t.id);
        expect(ids).toEqual([...ids].sort((x, y) => x - y));
        expect(new Set(ids).size).toBe(3);
        expect(await ledger.transitions({})).toEqual(stored);
      });

      it("gives later commits larger ids", async () => {
        const { run } = await ledger.startRun("a", 0);
        const [first] = await ledger.commit(run.id, [transition("x", "unknown", "up", 100)]);
        const [second] = await ledger.commit(run.id, [transition("x", "up", "down", 200)]);
        expect(second!.id).toBeGreaterThan(first!.id);
      });

      it("accepts an empty batch and stores nothing", async () => {
        const { run } = await ledger.startRun("a", 0);
        expect(await ledger.commit(run.id, [])).toEqual([]);
        expect(await ledger.transitions({})).toEqual([]);
      });

      it("rejects a commit to an unknown or stopped run", async () => {
        await expectLedgerError(
          ledger.commit(424_242, [transition("x", "unknown", "up", 1)]),
          "LEDGER_RUN_NOT_FOUND",
        );
        const { run } = await ledger.startRun("a", 0);
        await ledger.stopRun(run.id, 10);
        await expectLedgerError(
          ledger.commit(run.id, [transition("x", "unknown", "up", 20)]),
          "LEDGER_RUN_STOPPED",
        );
        expect(await ledger.transitions({})).toEqual([]);
      });

      it("commits a batch of 2,000 transitions in one call, all of them", async () => {
        const { run } = await ledger.startRun("a", 0);
        // a mass outage and its recovery: 1,000 targets down, then all of them up again
        const down = range(1_000).map((i) => transition(`t${i}`, "unknown", "down", 1_000 + i));
        const up = range(1_000).map((i) => transition(`t${i}`, "down", "up", 5_000 + i));
        const stored = await ledger.commit(run.id, [...down, ...up]);
        expect(stored).toHaveLength(2_000);
        const all = await ledger.transitions({ instance: "a" });
        expect(all).toHaveLength(2_000);
        expect(all).toEqual(stored);
        const outages = await ledger.outages({});
        expect(outages).toHaveLength(1_000);
        expect(outages.every((o) => o.end === o.start + 4_000 && o.endReason === "recovered")).toBe(
          true,
        );
        expect(await ledger.latestTransitions("a")).toHaveLength(1_000);
      });

      it("keeps every outage's sampling bounds in a batch of distinct targets", async () => {
        const { run } = await ledger.startRun("a", 0);
        // one target each: a store may write such a batch with one statement per table
        const down = range(300).map((i) =>
          transition(`t${i}`, "up", "down", 1_000 + i, {
            previousProbeAt: i % 3 === 0 ? null : 900 + i,
          }),
        );
        await ledger.commit(
          run.id,
          range(300).map((i) => transition(`t${i}`, "unknown", "up", i)),
        );
        await ledger.commit(run.id, down);
        await ledger.commit(
          run.id,
          range(300).map((i) =>
            transition(`t${i}`, "down", "up", 5_000 + i, {
              previousProbeAt: i % 5 === 0 ? null : 4_990 + i,
            }),
          ),
        );
        const outages = await ledger.outages({});
        expect(outages.map((o) => [o.targetId, o.lastOkAt, o.lastFailedAt])).toEqual(
          range(300).map((i) => [
            `t${i}`,
            i % 3 === 0 ? null : 900 + i,
            i % 5 === 0 ? null : 4_990 + i,
          ]),
        );
      });
    });

    describe("chain consistency", () => {
      let runId: number;

      beforeEach(async () => {
        runId = (await ledger.startRun("a", 0)).run.id;
      });

      it("rejects a first transition that does not start from unknown", async () => {
        await expectLedgerError(
          ledger.commit(runId, [transition("x", "up", "down", 100)]),
          "LEDGER_TRANSITION_CHAIN",
          { targetId: "x", from: "up", expected: "unknown", index: 0 },
        );
      });

      it("rejects a `from` that is not the target's last stored state", async () => {
        await ledger.commit(runId, [transition("x", "unknown", "up", 100)]);
        await expectLedgerError(
          ledger.commit(runId, [transition("x", "down", "up", 200)]),
          "LEDGER_TRANSITION_CHAIN",
          { targetId: "x", from: "down", to: "up", expected: "up" },
        );
      });

      it("rejects a transition that repeats a state", async () => {
        await ledger.commit(runId, [transition("x", "unknown", "up", 100)]);
        await expectLedgerError(
          ledger.commit(runId, [transition("x", "up", "up", 200)]),
          "LEDGER_TRANSITION_CHAIN",
        );
      });

      it("checks a target's chain inside one batch", async () => {
        const ok = [transition("x", "unknown", "down", 100), transition("x", "down", "up", 200)];
        expect(await ledger.commit(runId, ok)).toHaveLength(2);
        await expectLedgerError(
          ledger.commit(runId, [
            transition("y", "unknown", "down", 100),
            transition("y", "up", "down", 200),
          ]),
          "LEDGER_TRANSITION_CHAIN",
          { targetId: "y", index: 1, expected: "down" },
        );
      });

      it("keeps each instance's chain apart", async () => {
        await ledger.commit(runId, [transition("x", "unknown", "up", 100)]);
        const other = (await ledger.startRun("b", 0)).run.id;
        expect(await ledger.commit(other, [transition("x", "unknown", "down", 100)])).toHaveLength(
          1,
        );
      });

      it("rejects a transition earlier than the target's previous one", async () => {
        await ledger.commit(runId, [transition("x", "unknown", "up", 1_000)]);
        await expectLedgerError(
          ledger.commit(runId, [transition("x", "up", "down", 999)]),
          "LEDGER_TRANSITION_ORDER",
          { targetId: "x", at: 999, previousAt: 1_000 },
        );
      });

      it("rejects an unknown state", async () => {
        const bad = transition("x", "unknown", "sideways" as TargetState, 100);
        await expectLedgerError(ledger.commit(runId, [bad]), "LEDGER_INVALID");
      });

      it("writes nothing of a batch with one bad transition (1 of 10)", async () => {
        const batch = range(10).map((i) => transition(`t${i}`, "unknown", "down", 100 + i));
        batch[6] = transition("t6", "up", "down", 106);
        await expectLedgerError(ledger.commit(runId, batch), "LEDGER_TRANSITION_CHAIN", {
          index: 6,
          targetId: "t6",
        });
        expect(await ledger.transitions({})).toEqual([]);
        expect(await ledger.outages({})).toEqual([]);
        expect(await ledger.latestTransitions("a")).toEqual([]);
        // and the store is still usable: the corrected batch goes in whole
        batch[6] = transition("t6", "unknown", "down", 106);
        expect(await ledger.commit(runId, batch)).toHaveLength(10);
        expect(await ledger.outages({ open: true })).toHaveLength(10);
      });

      it("rolls back outage closes made earlier in a rejected batch", async () => {
        await ledger.commit(runId, [transition("x", "unknown", "down", 100)]);
        const batch = [transition("x", "down", "up", 200), transition("y", "up", "down", 200)];
        await expectLedgerError(ledger.commit(runId, batch), "LEDGER_TRANSITION_CHAIN");
        const [outage] = await ledger.outages({});
        expect(outage).toMatchObject({ targetId: "x", start: 100, end: null, endReason: null });
        expect((await ledger.latestTransitions("a")).map((t) => t.to)).toEqual(["down"]);
      });
    });

    describe("outages", () => {
      let runId: number;

      beforeEach(async () => {
        runId = (await ledger.startRun("a", 0)).run.id;
      });

      const opening = transition("gate-cgk", "unknown", "down", 1_000, {
        detectedAt: 1_030,
        service: "autogate",
        site: "CGK",
        reason: "timeout",
        detail: "no response within 5s",
        blockedBy: "pdns",
      });

      const openOutage: Omit<OutageRecord, "id"> = {
        instance: "a",
        targetId: "gate-cgk",
        service: "autogate",
        site: "CGK",
        start: 1_000,
        end: null,
        detectedAt: 1_030,
        reason: "timeout",
        detail: "no response within 5s",
        blockedBy: "pdns",
        blockedUntil: null,
        maintenance: false,
        endReason: null,
        lastOkAt: null,
        lastFailedAt: null,
        // not held: settled as it opened
        pageSettledAt: 1_030,
      };

      it("keeps the sampling bounds: last_ok_at from the →down, last_failed_at from its end", async () => {
        await ledger.commit(runId, [{ ...opening, previousProbeAt: 970 }]);
        const [open] = await ledger.outages({});
        expect(open).toMatchObject({ lastOkAt: 970, lastFailedAt: null });
        await ledger.commit(runId, [
          transition("gate-cgk", "down", "up", 5_000, { previousProbeAt: 4_940 }),
        ]);
        const [closed] = await ledger.outages({});
        expect(closed).toMatchObject({
          start: 1_000,
          lastOkAt: 970,
          end: 5_000,
          lastFailedAt: 4_940,
        });
        expect((await ledger.latestTransitions("a"))[0]).toMatchObject({ previousProbeAt: 4_940 });
      });

      it.each([
        { previousProbeAt: 1_001, why: "after at" },
        { previousProbeAt: Number.NaN, why: "not a time" },
      ])(
        "refuses a bound $why with LEDGER_INVALID, writing nothing",
        async ({ previousProbeAt }) => {
          await expectLedgerError(
            ledger.commit(runId, [{ ...opening, previousProbeAt }]),
            "LEDGER_INVALID",
            { targetId: "gate-cgk" },
          );
          expect(await ledger.transitions({})).toEqual([]);
          expect(await ledger.outages({})).toEqual([]);
        },
      );

      it("opens an outage on →down with the facts of the first failure", async () => {
        await ledger.commit(runId, [opening]);
        expect(await ledger.outages({})).toEqual([{ ...openOutage, id: expect.any(Number) }]);
        expect(await ledger.outages({ open: true })).toHaveLength(1);
      });

      it("closes it at the `at` of the recovery, keeping the opening facts", async () => {
        await ledger.commit(runId, [opening]);
        const recovery = transition("gate-cgk", "down", "up", 5_000, {
          detectedAt: 5_090,
          service: "renamed",
          blockedBy: null,
        });
        await ledger.commit(runId, [recovery]);
        expect(await ledger.outages({})).toEqual([
          { ...openOutage, id: expect.any(Number), end: 5_000, endReason: "recovered" },
        ]);
      });

      it("closes it on down→degraded as recovered", async () => {
        await ledger.commit(runId, [opening]);
        await ledger.commit(runId, [
          transition("gate-cgk", "down", "degraded", 2_000, { reason: "slow" }),
        ]);
        const [outage] = await ledger.outages({});
        expect(outage).toMatchObject({ end: 2_000, endReason: "recovered" });
      });

      it("ends it with `removed` when the target leaves the config", async () => {
        await ledger.commit(runId, [opening]);
        await ledger.commit(runId, [
          transition("gate-cgk", "down", "unknown", 3_000, { reason: "removed" }),
        ]);
        const [outage] = await ledger.outages({});
        expect(outage).toMatchObject({ start: 1_000, end: 3_000, endReason: "removed" });
      });

      it("opens no outage for transitions that do not enter down", async () => {
        await ledger.commit(runId, [
          transition("x", "unknown", "up", 100),
          transition("x", "up", "degraded", 200),
          transition("x", "degraded", "unknown", 300, { reason: "removed" }),
        ]);
        expect(await ledger.outages({})).toEqual([]);
      });

      it.each([
        { openIn: false, closeIn: false, maintenance: false },
        { openIn: true, closeIn: false, maintenance: true },
        { openIn: false, closeIn: true, maintenance: true },
        { openIn: true, closeIn: true, maintenance: true },
      ])("maintenance at open $openIn, at close $closeIn → $maintenance", async (row) => {
        await ledger.commit(runId, [{ ...opening, maintenance: row.openIn }]);
        const [open] = await ledger.outages({});
        expect(open!.maintenance).toBe(row.openIn);
        await ledger.commit(runId, [
          transition("gate-cgk", "down", "up", 2_000, { maintenance: row.closeIn }),
        ]);
        const [closed] = await ledger.outages({});
        expect(closed!.maintenance).toBe(row.maintenance);
      });

      it("records each outage of a flapping target separately", async () => {
        await ledger.commit(runId, [
          opening,
          transition("gate-cgk", "down", "up", 2_000),
          transition("gate-cgk", "up", "down", 3_000, { reason: "refused" }),
        ]);
        const outages = await ledger.outages({ targetId: "gate-cgk" });
        expect(outages.map((o) => [o.start, o.end, o.reason, o.endReason])).toEqual([
          [1_000, 2_000, "timeout", "recovered"],
          [3_000, null, "refused", null],
        ]);
      });

      it("continues an outage across a restart and closes it with its true start", async () => {
        await ledger.commit(runId, [opening]);
        await ledger.heartbeat(runId, 2_000);
        // crash: no stopRun
        const second = await ledger.startRun("a", 10_000);
        expect(second.gap).toEqual({ instance: "a", kind: "restart", start: 2_000, end: 10_000 });
        const restored = await ledger.latestTransitions("a");
        expect(restored).toEqual([
          expect.objectContaining({ targetId: "gate-cgk", to: "down", runId }),
        ]);
        expect(await ledger.outages({ open: true })).toHaveLength(1);
        await ledger.commit(second.run.id, [transition("gate-cgk", "down", "up", 12_000)]);
        expect(await ledger.outages({})).toEqual([
          { ...openOutage, id: expect.any(Number), end: 12_000, endReason: "recovered" },
        ]);
        const runs = (await ledger.transitions({ targetId: "gate-cgk" })).map((t) => t.runId);
        expect(runs).toEqual([runId, second.run.id]);
      });
    });

    describe("attribution changes", () => {
      let runId: number;

      beforeEach(async () => {
        runId = (await ledger.startRun("a", 0)).run.id;
        await ledger.commit(runId, [transition("gate-dps", "unknown", "down", 1_000)]);
      });

      it("sets the cause of an open outage learnt after its →down, in the same transaction", async () => {
        await ledger.commit(
          runId,
          [transition("core", "unknown", "down", 900)],
          [{ targetId: "gate-dps", at: 5_000, blockedBy: "core" }],
        );
        const [gate] = await ledger.outages({ targetId: "gate-dps" });
        expect(gate).toMatchObject({ start: 1_000, blockedBy: "core", blockedUntil: null });
      });

      it("keeps both facts when the dependency recovers first: blocked_by and when it ended", async () => {
        await ledger.commit(
          runId,
          [transition("core", "unknown", "down", 900)],
          [{ targetId: "gate-dps", at: 5_000, blockedBy: "core" }],
        );
        await ledger.commit(
          runId,
          [transition("core", "down", "up", 60_000)],
          [{ targetId: "gate-dps", at: 60_000, blockedBy: null }],
        );
        await ledger.commit(runId, [transition("gate-dps", "down", "up", 90_000)]);
        const [gate] = await ledger.outages({ targetId: "gate-dps" });
        expect(gate).toMatchObject({
          start: 1_000,
          end: 90_000,
          blockedBy: "core",
          blockedUntil: 60_000,
          endReason: "recovered",
        });
      });

      it("commits attribution changes alone, without a transition (a release seen later)", async () => {
        await ledger.commit(
          runId,
          [transition("core", "unknown", "down", 900)],
          [{ targetId: "gate-dps", at: 5_000, blockedBy: "core" }],
        );
        await ledger.commit(runId, [transition("core", "down", "up", 60_000)]);
        expect(
          await ledger.commit(runId, [], [{ targetId: "gate-dps", at: 60_000, blockedBy: null }]),
        ).toEqual([]);
        const [gate] = await ledger.outages({ targetId: "gate-dps" });
        expect(gate).toMatchObject({ blockedBy: "core", blockedUntil: 60_000, end: null });
      });

      it("refuses attribution changes alone from a stopped run", async () => {
        await ledger.stopRun(runId, 2_000);
        await expectLedgerError(
          ledger.commit(runId, [], [{ targetId: "gate-dps", at: 5_000, blockedBy: "core" }]),
          "LEDGER_RUN_STOPPED",
        );
      });

      it("does not mark an outage that was never blocked as released", async () => {
        await ledger.commit(runId, [], [{ targetId: "gate-dps", at: 5_000, blockedBy: null }]);
        const [gate] = await ledger.outages({ targetId: "gate-dps" });
        expect(gate).toMatchObject({ blockedBy: null, blockedUntil: null });
      });
    });

    describe("latestTransitions", () => {
      it("returns nothing for an instance without transitions", async () => {
        expect(await ledger.latestTransitions("nobody")).toEqual([]);
      });

      it("returns the latest transition of every target after many commits and runs", async () => {
        const cycle: TargetState[] = ["up", "degraded", "down"];
        const states = new Map<string, TargetState>();
        const expected = new Map<string, StoredTransition>();
        let runId = (await ledger.startRun("a", 0)).run.id;
        for (let round = 0; round < 20; round++) {
          if (round === 10) runId = (await ledger.startRun("a", 100_000)).run.id;
          const batch = range(50)
            .filter((i) => i % (1 + (round % 3)) === 0)
            .map((i) => {
              const targetId = `t${i}`;
              const from = states.get(targetId) ?? "unknown";
              const to = cycle.find((state) => state !== from && state !== cycle[round % 3])!;
              states.set(targetId, to);
              return transition(targetId, from, to, 1_000 * (round + 1) + i);
            });
          for (const stored of await ledger.commit(runId, batch)) {
            expected.set(stored.targetId, stored);
          }
        }
        const other = (await ledger.startRun("b", 0)).run.id;
        await ledger.commit(other, [transition("t0", "unknown", "up", 5)]);
        const latest = await ledger.latestTransitions("a");
        expect(sortByTarget(latest)).toEqual(sortByTarget([...expected.values()]));
        expect(latest).toHaveLength(50);
        expect(await ledger.latestTransitions("b")).toEqual([
          expect.objectContaining({ targetId: "t0", to: "up", instance: "b" }),
        ]);
      });
    });

    describe("transitions and outages queries", () => {
      // instance a: web-cgk up@100 degraded@300; gate-cgk down@100 up@200; web-dps up@150 down@300
      // instance b: web-cgk down@120
      beforeEach(async () => {
        const a = (await ledger.startRun("a", 0)).run.id;
        const b = (await ledger.startRun("b", 0)).run.id;
        await ledger.commit(a, [
          transition("web-cgk", "unknown", "up", 100, { service: "web", site: "CGK" }),
          transition("gate-cgk", "unknown", "down", 100, { service: "gate", site: "CGK" }),
        ]);
        await ledger.commit(b, [
          transition("web-cgk", "unknown", "down", 120, { service: "web", site: "CGK" }),
        ]);
        await ledger.commit(a, [
          transition("web-dps", "unknown", "up", 150, { service: "web", site: "DPS" }),
          transition("gate-cgk", "down", "up", 200, { service: "gate", site: "CGK" }),
        ]);
        await ledger.commit(a, [
          transition("web-cgk", "up", "degraded", 300, { service: "web", site: "CGK" }),
          transition("web-dps", "up", "down", 300, { service: "web", site: "DPS" }),
        ]);
      });

      const all = [
        "a:web-cgk:up@100",
        "a:gate-cgk:down@100",
        "b:web-cgk:down@120",
        "a:web-dps:up@150",
        "a:gate-cgk:up@200",
        "a:web-cgk:degraded@300",
        "a:web-dps:down@300",
      ];

      it.each([
        { query: {}, expected: all },
        { query: { instance: "b" }, expected: ["b:web-cgk:down@120"] },
        {
          query: { targetId: "web-cgk" },
          expected: ["a:web-cgk:up@100", "b:web-cgk:down@120", "a:web-cgk:degraded@300"],
        },
        { query: { service: "gate" }, expected: ["a:gate-cgk:down@100", "a:gate-cgk:up@200"] },
        { query: { site: "DPS" }, expected: ["a:web-dps:up@150", "a:web-dps:down@300"] },
        { query: { since: 150 }, expected: all.slice(3) },
        { query: { until: 150 }, expected: all.slice(0, 3) },
        { query: { since: 100, until: 200 }, expected: all.slice(0, 4) },
        { query: { since: 301 }, expected: [] },
        {
          query: { instance: "a", site: "CGK", since: 200 },
          expected: ["a:gate-cgk:up@200", "a:web-cgk:degraded@300"],
        },
        { query: { limit: 2 }, expected: all.slice(5) },
        { query: { instance: "a", limit: 3 }, expected: all.slice(4) },
        { query: { until: 200, limit: 2 }, expected: ["b:web-cgk:down@120", "a:web-dps:up@150"] },
        { query: { limit: 0 }, expected: [] },
        { query: { limit: 100 }, expected: all },
      ])("transitions($query): ordered by at then id; limit keeps the newest", async (row) => {
        const found = await ledger.transitions(row.query);
        expect(found.map((t) => `${t.instance}:${t.targetId}:${t.to}@${t.at}`)).toEqual(
          row.expected,
        );
      });

      it("rejects a negative limit", async () => {
        await expectLedgerError(ledger.transitions({ limit: -1 }), "LEDGER_INVALID");
      });

      // outages: a:gate-cgk [100, 200) recovered; b:web-cgk [120, open); a:web-dps [300, open)
      const gate = "a:gate-cgk[100,200)";
      const bWeb = "b:web-cgk[120,open)";
      const dps = "a:web-dps[300,open)";

      it.each([
        { query: {}, expected: [gate, bWeb, dps] },
        { query: { open: true }, expected: [bWeb, dps] },
        { query: { open: false }, expected: [gate] },
        { query: { since: 200 }, expected: [bWeb, dps] },
        { query: { since: 199 }, expected: [gate, bWeb, dps] },
        { query: { until: 100 }, expected: [] },
        { query: { until: 101 }, expected: [gate] },
        { query: { until: 121 }, expected: [gate, bWeb] },
        { query: { since: 200, until: 300 }, expected: [bWeb] },
        { query: { since: 10_000_000_000_000 }, expected: [bWeb, dps] },
        { query: { instance: "a" }, expected: [gate, dps] },
        { query: { instance: "a", open: false }, expected: [gate] },
        { query: { targetId: "web-cgk" }, expected: [bWeb] },
        { query: { service: "gate" }, expected: [gate] },
        { query: { site: "DPS" }, expected: [dps] },
        { query: { site: "CGK", since: 150, until: 250 }, expected: [gate, bWeb] },
      ])("outages($query) overlapping [since, until)", async (row) => {
        const found = await ledger.outages(row.query);
        expect(
          found.map((o) => `${o.instance}:${o.targetId}[${o.start},${o.end ?? "open"})`),
        ).toEqual(row.expected);
      });

      it("pages outages by (start, id) with after and limit, ties at one start included", async () => {
        const c = (await ledger.startRun("c", 0)).run.id;
        await ledger.commit(c, [
          transition("tie-1", "unknown", "down", 120),
          transition("tie-2", "unknown", "down", 120),
        ]);
        const everything = await ledger.outages({});
        expect(everything).toHaveLength(5);
        expect(await ledger.outages({ limit: 2 })).toEqual(everything.slice(0, 2));
        expect(await ledger.outages({ limit: 0 })).toEqual([]);
        const paged: OutageRecord[] = [];
        // bounded: a cursor that does not advance must fail the test, not hang it
        for (let after: { start: number; id: number } | undefined; paged.length <= 5; ) {
          const page = await ledger.outages({ after, limit: 1 });
          const last = page[0];
          if (last === undefined) break;
          paged.push(last);
          after = { start: last.start, id: last.id };
        }
        expect(paged).toEqual(everything);
        await expectLedgerError(ledger.outages({ limit: -1 }), "LEDGER_INVALID");
      });

      const latest = (t: StoredTransition) => `${t.instance}:${t.targetId}:${t.to}@${t.at}`;

      it.each([
        {
          query: { before: 1000 },
          expected: [
            "a:gate-cgk:up@200",
            "a:web-cgk:degraded@300",
            "a:web-dps:down@300",
            "b:web-cgk:down@120",
          ],
        },
        {
          query: { before: 200 },
          expected: [
            "a:gate-cgk:down@100",
            "a:web-cgk:up@100",
            "a:web-dps:up@150",
            "b:web-cgk:down@120",
          ],
        },
        { query: { before: 100 }, expected: [] },
        {
          query: { before: 101, instance: "a" },
          expected: ["a:gate-cgk:down@100", "a:web-cgk:up@100"],
        },
        {
          query: { before: 1000, targetId: "web-cgk" },
          expected: ["a:web-cgk:degraded@300", "b:web-cgk:down@120"],
        },
        { query: { before: 1000, service: "gate" }, expected: ["a:gate-cgk:up@200"] },
        { query: { before: 1000, site: "DPS" }, expected: ["a:web-dps:down@300"] },
      ])("lastTransitionsBefore($query): each target's last, by instance and id", async (row) => {
        expect((await ledger.lastTransitionsBefore(row.query)).map(latest)).toEqual(row.expected);
      });

      it.each([
        {
          query: {},
          expected: [
            "a:web-cgk up@100 degraded@300",
            "a:gate-cgk down@100 up@200",
            "b:web-cgk down@120",
            "a:web-dps up@150 down@300",
          ],
        },
        { query: { since: 150, until: 300 }, expected: ["a:web-dps up@150", "a:gate-cgk up@200"] },
        { query: { instance: "b" }, expected: ["b:web-cgk down@120"] },
        {
          query: { targetId: "web-cgk" },
          expected: ["a:web-cgk up@100 degraded@300", "b:web-cgk down@120"],
        },
        { query: { service: "gate", since: 150 }, expected: ["a:gate-cgk up@200"] },
        { query: { since: 301 }, expected: [] },
      ])("stateHistories($query): per target in first-seen order, by time", async (row) => {
        const found = await ledger.stateHistories(row.query);
        const text = found.map(
          (h) => `${h.instance}:${h.targetId} ${h.to.map((to, i) => `${to}@${h.at[i]}`).join(" ")}`,
        );
        expect(text).toEqual(row.expected);
      });
    });

    describe("gaps", () => {
      it("opens and closes a blind gap", async () => {
        const id = await ledger.openGap({ instance: "a", kind: "blind", start: 100, end: null });
        expect(await ledger.gaps({})).toEqual([
          { instance: "a", kind: "blind", start: 100, end: null },
        ]);
        await ledger.closeGap(id, 300);
        expect(await ledger.gaps({})).toEqual([
          { instance: "a", kind: "blind", start: 100, end: 300 },
        ]);
      });

      it("rejects closing an unknown, closed, or too-early gap and an inverted gap", async () => {
        await expectLedgerError(ledger.closeGap(424_242, 1), "LEDGER_GAP_NOT_FOUND", {
          gapId: 424_242,
        });
        const id = await ledger.openGap({ instance: "a", kind: "blind", start: 100, end: null });
        await expectLedgerError(ledger.closeGap(id, 99), "LEDGER_INVALID");
        await ledger.closeGap(id, 100);
        await expectLedgerError(ledger.closeGap(id, 200), "LEDGER_GAP_CLOSED", { gapId: id });
        await expectLedgerError(
          ledger.openGap({ instance: "a", kind: "blind", start: 100, end: 50 }),
          "LEDGER_INVALID",
        );
        expect(await ledger.gaps({})).toEqual([
          { instance: "a", kind: "blind", start: 100, end: 100 },
        ]);
      });

      describe("query", () => {
        // a: restart [60, 100), blind [500, 700), blind [900, open); b: blind [550, 600)
        beforeEach(async () => {
          const first = await ledger.startRun("a", 0);
          await ledger.stopRun(first.run.id, 60);
          await ledger.startRun("a", 100);
          const blind = await ledger.openGap({
            instance: "a",
            kind: "blind",
            start: 500,
            end: null,
          });
          await ledger.openGap({ instance: "b", kind: "blind", start: 550, end: 600 });
          await ledger.closeGap(blind, 700);
          await ledger.openGap({ instance: "a", kind: "blind", start: 900, end: null });
        });

        const restart = "a:restart[60,100)";
        const blind = "a:blind[500,700)";
        const bBlind = "b:blind[550,600)";
        const open = "a:blind[900,open)";

        it.each([
          { query: {}, expected: [restart, blind, bBlind, open] },
          { query: { instance: "b" }, expected: [bBlind] },
          { query: { since: 100 }, expected: [blind, bBlind, open] },
          { query: { since: 99 }, expected: [restart, blind, bBlind, open] },
          { query: { until: 500 }, expected: [restart] },
          { query: { until: 501 }, expected: [restart, blind] },
          { query: { since: 700 }, expected: [open] },
          { query: { since: 650, until: 900 }, expected: [blind] },
          { query: { since: 10_000_000_000_000 }, expected: [open] },
        ])("gaps($query) overlapping [since, until)", async (row) => {
          const found = await ledger.gaps(row.query);
          expect(
            found.map((g) => `${g.instance}:${g.kind}[${g.start},${g.end ?? "open"})`),
          ).toEqual(row.expected);
        });
      });
    });

    describe("close", () => {
      it("is idempotent, and a closed ledger refuses calls with LEDGER_CLOSED", async () => {
        await ledger.close();
        await ledger.close();
        await expectLedgerError(ledger.runs({}), "LEDGER_CLOSED");
        await expectLedgerError(ledger.startRun("a", 0), "LEDGER_CLOSED");
      });
    });
  });
}

export function transition(
  targetId: string,
  from: TargetState,
  to: TargetState,
  at: number,
  overrides: Partial<NewTransition> = {},
): NewTransition {
  return {
    targetId,
    from,
    to,
    at,
    detectedAt: at + 30,
    reason: to === "down" ? "refused" : null,
    detail: to === "down" ? "connect ECONNREFUSED" : null,
    service: "svc",
    site: "",
    blockedBy: null,
    maintenance: false,
    previousProbeAt: null,
    ...overrides,
  };
}

export async function expectLedgerError(
  promise: Promise<unknown>,
  code: LedgerErrorCode,
  context: Record<string, unknown> = {},
): Promise<LedgerError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a LedgerError ${code}, but the call succeeded`);
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(LedgerError);
  expect(error).toMatchObject({ code, context: expect.objectContaining(context) });
  return error as LedgerError;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function sortByTarget(transitions: StoredTransition[]): StoredTransition[] {
  return [...transitions].sort((x, y) => (x.targetId < y.targetId ? -1 : 1));
}
