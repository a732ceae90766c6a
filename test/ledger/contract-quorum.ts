import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Ledger, QuorumLedger } from "../../src/ledger/ledger.js";
import { expectLedgerError, transition } from "./contract.js";

/**
 * What a quorum's decider reads and writes (docs/quorum.md): the group's vantages, each
 * vantage's transitions in commit order, open outages by target, held and settled pages, and
 * quorum transitions committed with their votes, fenced like an HA group's.
 */
export function quorumLedgerContract(
  name: string,
  open: () => Promise<Ledger & QuorumLedger>,
  cleanup?: () => Promise<void>,
): void {
  describe(`Ledger contract, quorum groups: ${name}`, () => {
    let ledger: Ledger & QuorumLedger;

    beforeEach(async () => {
      ledger = await open();
    });

    afterEach(async () => {
      await ledger.close();
      await cleanup?.();
    });

    it("lists each vantage's newest run of the group, by instance; an HA pair votes as its group", async () => {
      await ledger.startRun("jakarta", 1_000, { quorumGroup: "estate" });
      const restarted = await ledger.startRun("jakarta", 2_000, { quorumGroup: "estate" });
      const dr = await ledger.startRun("dr-a", 1_500, { quorumGroup: "estate", haGroup: "dr" });
      await ledger.startRun("elsewhere", 1_000, { quorumGroup: "other" });
      await ledger.startRun("lone", 1_000);
      const members = await ledger.quorumMembers("estate");
      expect(members.map((m) => [m.instance, m.id, m.vantage])).toEqual([
        ["dr-a", dr.run.id, "dr"],
        ["jakarta", restarted.run.id, "jakarta"],
      ]);
      expect(await ledger.quorumMembers("none")).toEqual([]);
    });

    it("reads one instance's transitions after an id, in commit order, at most `limit`", async () => {
      const { run } = await ledger.startRun("jakarta", 0);
      const other = await ledger.startRun("surabaya", 0);
      const first = await ledger.commit(run.id, [
        transition("portal", "unknown", "up", 1_000),
        transition("core", "unknown", "up", 1_000),
      ]);
      await ledger.commit(other.run.id, [transition("portal", "unknown", "down", 1_100)]);
      const second = await ledger.commit(run.id, [transition("portal", "up", "down", 2_000)]);
      const after = await ledger.transitionsAfter("jakarta", first[0]!.id, 10);
      expect(after.map((t) => t.id)).toEqual([first[1]!.id, second[0]!.id]);
      expect((await ledger.transitionsAfter("jakarta", 0, 1)).map((t) => t.id)).toEqual([
        first[0]!.id,
      ]);
      expect(await ledger.transitionsAfter("jakarta", second[0]!.id, 10)).toEqual([]);
    });

    it("keeps a held page unsettled until a settlement, which only an open outage takes", async () => {
      const { run } = await ledger.startRun("jakarta", 0);
      await ledger.commit(run.id, [
        transition("portal", "unknown", "down", 1_000, { pageHeld: true }),
        transition("core", "unknown", "down", 1_000),
      ]);
      const open = await ledger.openOutagesOf("jakarta", ["portal", "core", "absent"]);
      const settled = (id: string) => open.find((o) => o.targetId === id)?.pageSettledAt;
      expect(settled("portal")).toBeNull();
      expect(settled("core")).toBe(1_030);
      await ledger.commit(run.id, [], [], [{ targetId: "portal", at: 1_500 }]);
      // a second settlement does not move the first
      await ledger.commit(run.id, [], [], [{ targetId: "portal", at: 1_900 }]);
      const [portal] = await ledger.openOutagesOf("jakarta", ["portal"]);
      expect(portal?.pageSettledAt).toBe(1_500);
      await ledger.commit(run.id, [transition("portal", "down", "up", 2_000)]);
      expect(await ledger.openOutagesOf("jakarta", ["portal"])).toEqual([]);
    });

    it("commits quorum transitions with their votes, fenced to the group's leader", async () => {
      const a = await ledger.startRun("jakarta/quorum/estate", 0, { haGroup: "quorum/estate" });
      const b = await ledger.startRun("surabaya/quorum/estate", 0, {
        haGroup: "quorum/estate",
        liveWithinMs: 500,
      });
      await ledger.claimLeadership(a.run.id, 100);
      const votes = [
        { vantage: "jakarta", vote: "down" as const, since: 1_000 },
        { vantage: "surabaya", vote: "down" as const, since: 1_200 },
        { vantage: "dr", vote: "dead" as const, since: null },
      ];
      const [stored] = await ledger.commitQuorum(
        a.run.id,
        [transition("portal", "unknown", "down", 1_200)],
        [votes],
      );
      expect(stored?.instance).toBe("quorum/estate");
      const read = await ledger.quorumVotes([stored!.id, 999_999]);
      expect(read.get(stored!.id)).toEqual(
        [...votes].sort((x, y) => (x.vantage < y.vantage ? -1 : 1)),
      );
      expect(read.has(999_999)).toBe(false);
      await ledger.claimLeadership(b.run.id, 2_000);
      await expectLedgerError(
        ledger.commitQuorum(a.run.id, [transition("portal", "down", "up", 3_000)], [[]]),
        "LEDGER_FENCED",
      );
      expect((await ledger.transitions({ instance: "quorum/estate" })).length).toBe(1);
    });
  });
}
