import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Ledger } from "../../src/ledger/ledger.js";
import { expectLedgerError, transition } from "./contract.js";

/**
 * The Ledger contract of high-availability groups: one chain per target for the
 * group, written under the group's name by its leader only (a fence against a stale leader),
 * and restart gaps that count only time when no member of the group was alive.
 */
export function haLedgerContract(
  name: string,
  open: () => Promise<Ledger>,
  cleanup?: () => Promise<void>,
): void {
  describe(`Ledger contract, HA groups: ${name}`, () => {
    let ledger: Ledger;

    beforeEach(async () => {
      ledger = await open();
    });

    afterEach(async () => {
      await ledger.close();
      await cleanup?.();
    });

    it("a member's run keeps its own instance; the first claim is epoch 1, the next bumps it", async () => {
      const a = await ledger.startRun("jkt-a", 1_000, { haGroup: "jkt" });
      const b = await ledger.startRun("jkt-b", 1_100, { haGroup: "jkt", liveWithinMs: 500 });
      expect(a.run.instance).toBe("jkt-a");
      expect(await ledger.leader("jkt")).toBeNull();
      expect(await ledger.claimLeadership(a.run.id, 1_200)).toEqual({
        haGroup: "jkt",
        epoch: 1,
        runId: a.run.id,
        since: 1_200,
      });
      await ledger.claimLeadership(b.run.id, 1_300);
      expect(await ledger.leader("jkt")).toEqual({
        haGroup: "jkt",
        epoch: 2,
        runId: b.run.id,
        since: 1_300,
      });
      expect(await ledger.leader("other")).toBeNull();
    });

    it("writes the group's chain under the group's name; the leader after a takeover continues it", async () => {
      const a = await ledger.startRun("jkt-a", 1_000, { haGroup: "jkt" });
      const b = await ledger.startRun("jkt-b", 1_000, { haGroup: "jkt", liveWithinMs: 500 });
      await ledger.claimLeadership(a.run.id, 1_000);
      await ledger.commit(a.run.id, [transition("portal", "unknown", "up", 1_000)]);
      await ledger.commit(a.run.id, [transition("portal", "up", "down", 2_000)]);
      await ledger.claimLeadership(b.run.id, 3_000);
      // the new leader closes the outage the old one opened
      await ledger.commit(b.run.id, [transition("portal", "down", "up", 4_000)]);
      const chain = await ledger.transitions({ instance: "jkt" });
      expect(chain.map((t) => [t.from, t.to, t.runId])).toEqual([
        ["unknown", "up", a.run.id],
        ["up", "down", a.run.id],
        ["down", "up", b.run.id],
      ]);
      expect(await ledger.transitions({ instance: "jkt-a" })).toEqual([]);
      expect(await ledger.outages({ instance: "jkt" })).toMatchObject([
        { targetId: "portal", start: 2_000, end: 4_000, endReason: "recovered" },
      ]);
      expect(await ledger.latestTransitions("jkt")).toMatchObject([{ to: "up", at: 4_000 }]);
    });

    it("fences every member but the leader (LEDGER_FENCED), also a leader that was replaced", async () => {
      const a = await ledger.startRun("jkt-a", 1_000, { haGroup: "jkt" });
      const b = await ledger.startRun("jkt-b", 1_000, { haGroup: "jkt", liveWithinMs: 500 });
      const up = [transition("portal", "unknown", "up", 1_000)];
      await expectLedgerError(ledger.commit(a.run.id, up), "LEDGER_FENCED", {
        runId: a.run.id,
        haGroup: "jkt",
        leaderRunId: null,
      });
      await ledger.claimLeadership(a.run.id, 1_000);
      await expectLedgerError(ledger.commit(b.run.id, up), "LEDGER_FENCED", {
        leaderRunId: a.run.id,
        epoch: 1,
      });
      await ledger.claimLeadership(b.run.id, 2_000);
      await expectLedgerError(ledger.commit(a.run.id, up), "LEDGER_FENCED", {
        leaderRunId: b.run.id,
        epoch: 2,
      });
      expect(await ledger.transitions({})).toEqual([]);
    });

    it("refuses leadership to a run in no group, or stopped", async () => {
      const alone = await ledger.startRun("solo", 1_000);
      await expectLedgerError(ledger.claimLeadership(alone.run.id, 1_000), "LEDGER_INVALID", {
        runId: alone.run.id,
      });
      const member = await ledger.startRun("jkt-a", 1_000, { haGroup: "jkt" });
      await ledger.stopRun(member.run.id, 1_500);
      await expectLedgerError(ledger.claimLeadership(member.run.id, 2_000), "LEDGER_RUN_STOPPED");
    });

    it("records no restart gap while another member is alive, and the group's gap when none is", async () => {
      const a = await ledger.startRun("jkt-a", 1_000, { haGroup: "jkt", liveWithinMs: 500 });
      expect(a.gap).toBeNull();
      const b = await ledger.startRun("jkt-b", 1_200, { haGroup: "jkt", liveWithinMs: 500 });
      expect(b.gap).toBeNull();
      // a dies (no stop); b keeps beating: a's restart is no gap for the group
      await ledger.heartbeat(b.run.id, 5_000);
      const a2 = await ledger.startRun("jkt-a", 5_200, { haGroup: "jkt", liveWithinMs: 500 });
      expect(a2.previous).toMatchObject({ id: a.run.id, instance: "jkt-a" });
      expect(a2.gap).toBeNull();
      // both stop; the first to start again records the group's gap, under the group's name
      await ledger.stopRun(b.run.id, 6_000);
      await ledger.stopRun(a2.run.id, 6_500);
      const b2 = await ledger.startRun("jkt-b", 9_000, { haGroup: "jkt", liveWithinMs: 500 });
      expect(b2.gap).toEqual({ instance: "jkt", kind: "restart", start: 6_500, end: 9_000 });
      expect(await ledger.gaps({})).toEqual([b2.gap]);
    });

    it("a member whose heartbeat is older than liveWithinMs is not alive", async () => {
      const a = await ledger.startRun("jkt-a", 1_000, { haGroup: "jkt" });
      await ledger.heartbeat(a.run.id, 2_000);
      const b = await ledger.startRun("jkt-b", 2_600, { haGroup: "jkt", liveWithinMs: 500 });
      expect(b.gap).toEqual({ instance: "jkt", kind: "restart", start: 2_000, end: 2_600 });
      const c = await ledger.startRun("jkt-c", 2_700, { haGroup: "jkt", liveWithinMs: 500 });
      expect(c.gap).toBeNull();
    });
  });
}
