import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Ledger, PushRecord } from "../../src/ledger/ledger.js";
import { expectLedgerError } from "./contract.js";

/**
 * The Ledger contract of push targets: each target's last push per chain, kept across runs
 * (a restart computes the deadline from it), replaced by a later one, checked before writing.
 */
export function pushLedgerContract(
  name: string,
  open: () => Promise<Ledger>,
  cleanup?: () => Promise<void>,
): void {
  describe(`Ledger contract, push targets: ${name}`, () => {
    let ledger: Ledger;

    beforeEach(async () => {
      ledger = await open();
    });

    afterEach(async () => {
      await ledger.close();
      await cleanup?.();
    });

    const push = (targetId: string, at: number, overrides: Partial<PushRecord> = {}) =>
      ({ targetId, at, status: "ok", message: "", ...overrides }) satisfies PushRecord;

    it("keeps no push before the first, and every field of each target's last one", async () => {
      const { run } = await ledger.startRun("jkt", 1_000);
      expect(await ledger.lastPushes("jkt")).toEqual([]);
      const gate = push("autogate-dps", 2_000, { status: "fail", message: "camera offline" });
      await ledger.recordPushes(run.id, [push("batch-sync", 1_500), gate]);
      expect(await ledger.lastPushes("jkt")).toEqual([gate, push("batch-sync", 1_500)]);
    });

    it("replaces a target's push by a later call's, and by the last of one batch", async () => {
      const { run } = await ledger.startRun("jkt", 1_000);
      await ledger.recordPushes(run.id, [push("a", 1_100, { status: "fail", message: "x" })]);
      await ledger.recordPushes(run.id, [push("a", 1_200)]);
      expect(await ledger.lastPushes("jkt")).toEqual([push("a", 1_200)]);
      await ledger.recordPushes(run.id, [push("a", 1_300), push("b", 1_300), push("a", 1_400)]);
      expect(await ledger.lastPushes("jkt")).toEqual([push("a", 1_400), push("b", 1_300)]);
    });

    it("keeps the last push across runs, a crash included: the next run reads it", async () => {
      const first = await ledger.startRun("jkt", 1_000);
      await ledger.recordPushes(first.run.id, [push("a", 1_500, { message: "nightly ok" })]);
      // no stop: the first run crashed
      const second = await ledger.startRun("jkt", 9_000);
      expect(await ledger.lastPushes("jkt")).toEqual([push("a", 1_500, { message: "nightly ok" })]);
      await ledger.recordPushes(second.run.id, [push("a", 9_500)]);
      expect(await ledger.lastPushes("jkt")).toEqual([push("a", 9_500)]);
    });

    it("keeps instances apart, and a group's members write the group's", async () => {
      const jkt = await ledger.startRun("jkt", 1_000);
      const sby = await ledger.startRun("sby", 1_000);
      await ledger.recordPushes(jkt.run.id, [push("a", 1_100)]);
      await ledger.recordPushes(sby.run.id, [push("a", 1_200)]);
      expect(await ledger.lastPushes("jkt")).toEqual([push("a", 1_100)]);
      expect(await ledger.lastPushes("sby")).toEqual([push("a", 1_200)]);
      const member = await ledger.startRun("jkt-b", 1_000, { haGroup: "pair" });
      // a standby receives pushes too: recording one is not a leader's write
      await ledger.recordPushes(member.run.id, [push("a", 1_300)]);
      expect(await ledger.lastPushes("pair")).toEqual([push("a", 1_300)]);
      expect(await ledger.lastPushes("jkt-b")).toEqual([]);
    });

    it("writes an empty batch as nothing", async () => {
      const { run } = await ledger.startRun("jkt", 1_000);
      await ledger.recordPushes(run.id, []);
      expect(await ledger.lastPushes("jkt")).toEqual([]);
    });

    it("writes nothing of a batch with a bad push: LEDGER_INVALID names it", async () => {
      const { run } = await ledger.startRun("jkt", 1_000);
      const bad = { ...push("b", 1_100), status: "late" } as unknown as PushRecord;
      await expectLedgerError(
        ledger.recordPushes(run.id, [push("a", 1_100), bad]),
        "LEDGER_INVALID",
        {
          targetId: "b",
          index: 1,
        },
      );
      await expectLedgerError(
        ledger.recordPushes(run.id, [push("a", Number.NaN)]),
        "LEDGER_INVALID",
        { targetId: "a", index: 0 },
      );
      expect(await ledger.lastPushes("jkt")).toEqual([]);
    });

    it("refuses pushes of an unknown or stopped run", async () => {
      await expectLedgerError(ledger.recordPushes(424_242, [push("a", 1)]), "LEDGER_RUN_NOT_FOUND");
      const { run } = await ledger.startRun("jkt", 1_000);
      await ledger.stopRun(run.id, 2_000);
      await expectLedgerError(
        ledger.recordPushes(run.id, [push("a", 2_100)]),
        "LEDGER_RUN_STOPPED",
      );
      expect(await ledger.lastPushes("jkt")).toEqual([]);
    });

    it("takes a message with any text, kept as sent", async () => {
      const { run } = await ledger.startRun("jkt", 1_000);
      const message = "gagal: 'kamera' \"offline\" ✗\nline 2 ?";
      await ledger.recordPushes(run.id, [push("a", 1_100, { status: "fail", message })]);
      expect(await ledger.lastPushes("jkt")).toEqual([
        push("a", 1_100, { status: "fail", message }),
      ]);
    });
  });
}
