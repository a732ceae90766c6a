import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/types.js";
import { stopWithJournal } from "../../src/daemon/stop-journal.js";
import { Engine } from "../../src/engine/engine.js";
import { readRecoveryJournal } from "../../src/ledger/recovery-journal.js";
import { replayRecoveryJournal } from "../../src/ledger/recovery-replay.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { sqliteFull } from "../support/fake-ledger.js";
import { memoryLogger } from "../support/memory-log.js";
import { makeResult } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-stop-journal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a stop whose queue is committed but whose clean stop the ledger refuses for space", () => {
  it("journals the stop alone, exits cleanly, and the next start records it at its time", async () => {
    const path = join(dir, "ledger.db");
    const time = new FakeTime();
    const ledger = openSqliteLedger(path);
    const { run } = await ledger.startRun("jakarta-1", time.now());
    const engine = new Engine({
      clock: time,
      timers: time,
      ledger,
      runId: run.id,
      instance: "jakarta-1",
      runProbe: async () => makeResult("ok", time.now()),
    });
    const stopRun = ledger.stopRun.bind(ledger);
    ledger.stopRun = async () => {
      throw sqliteFull();
    };
    // only the storage and instance keys are read by a stop
    const config = {
      storage: { url: null, path },
      global: { instance: "jakarta-1", haGroup: null, shard: null },
    } as unknown as Config;
    const log = memoryLogger("info");
    await time.advance(5000);
    await stopWithJournal({
      config,
      ledger,
      engine,
      run,
      clock: time,
      logger: log.logger,
      withinMs: 30_000,
      beforeStopRun: async () => {},
    });
    const lines = readRecoveryJournal(path)?.lines ?? [];
    expect(lines.map((l) => l.kind)).toEqual(["stop"]);
    expect(log.lines.filter((l) => l.event === "stop")).toEqual([
      expect.objectContaining({ level: 40, journaled: 0 }),
    ]);
    ledger.stopRun = stopRun;
    await replayRecoveryJournal(ledger, path);
    const [stored] = await ledger.runs({ instance: "jakarta-1" });
    expect(stored?.stoppedAt).toBe(time.now());
    await ledger.close();
  });
});
