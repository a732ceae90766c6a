import { describe, expect, it } from "vitest";
import { engineLogger } from "../../src/log/engine-log.js";
import { memoryLogger } from "../support/memory-log.js";
import { CLOCK_STEPS, steppedOutage } from "../support/stepped-outage.js";

const T0 = Date.UTC(2024, 5, 20, 0, 0, 0);

describe("engineLogger: the daemon's own trouble", () => {
  it("logs a wall-clock jump once, with its size and direction", () => {
    const log = memoryLogger("info");
    engineLogger(log.logger)({ kind: "clock-jump", jump: { jumpMs: -3_600_000, at: T0 } });
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 40,
        event: "clock_jump",
        jump_seconds: -3600,
        at: "2024-06-20T00:00:00.000Z",
        msg: "wall clock jumped backward by 1h; durations stay on the monotonic clock",
      }),
    ]);
  });

  it("says why the ledger is not writable, how much is pending, and when the queue is full", () => {
    const log = memoryLogger("info");
    const listener = engineLogger(log.logger);
    const report = {
      since: T0,
      error: "SQLITE_FULL: database or disk is full",
      operations: ["commit" as const],
      failures: 7,
    };
    listener({ kind: "unwritable", report, queue: { length: 12, max: 100_000, dropped: 0 } });
    listener({ kind: "unwritable", report, queue: { length: 100_000, max: 100_000, dropped: 3 } });
    listener({
      kind: "writable",
      report: { since: T0, at: T0 + 90_000, failures: 40 },
      queue: { length: 0, max: 100_000, dropped: 3 },
    });
    expect(log.lines.map((l) => [l.level, l.event, l.msg])).toEqual([
      [
        40,
        "ledger_unwritable",
        "ledger not writable since 2024-06-20T00:00:00.000Z: SQLITE_FULL: database or disk is full; 12 transitions pending; retrying",
      ],
      [
        40,
        "ledger_unwritable",
        "ledger not writable since 2024-06-20T00:00:00.000Z: SQLITE_FULL: database or disk is full; 100000 transitions pending; queue full (3 decisions put off); retrying",
      ],
      [30, "ledger_writable", "ledger writable again after 1m 30s (40 failed writes)"],
    ]);
  });
});

describe("engineLogger: transitions", () => {
  const committed = {
    id: 7,
    runId: 3,
    instance: "jkt",
    targetId: "portal",
    service: "portal",
    site: "jakarta",
    from: "up" as const,
    to: "down" as const,
    at: T0,
    detectedAt: T0 + 20_000,
    previousProbeAt: T0 - 10_000,
    reason: "timeout",
    detail: "no answer in 10s",
    blockedBy: null,
    maintenance: false,
    outageStart: null,
    waitingOn: [],
  };

  it("logs the transitions this daemon committed, one line each", () => {
    const log = memoryLogger("info");
    engineLogger(log.logger)({
      kind: "committed",
      transitions: [committed],
      attributions: [],
      holds: [],
    });
    expect(log.lines.map((l) => [l.event, l.target, l.to])).toEqual([
      ["transition", "portal", "down"],
    ]);
  });

  it("an HA standby's adopted view logs no transition line (its leader logged it)", () => {
    const log = memoryLogger("debug");
    engineLogger(log.logger)({
      kind: "committed",
      transitions: [committed],
      attributions: [],
      holds: [],
      adopted: true,
    });
    expect(log.lines.map((l) => [l.event, l.transitions, l.run])).toEqual([["adopted", 1, 3]]);
  });
});

describe("engineLogger: an outage across wall-clock steps", () => {
  it.each(CLOCK_STEPS)(
    "$name: the recovery line tells the ledger's start and the 6 s the monotonic clock measured",
    async (steps) => {
      const { down, up } = await steppedOutage(steps);
      // the start it is measured from is the one the ledger recorded for the →down
      expect(up.transition.outageStart).toBe(down.transition.at);
      const log = memoryLogger("info");
      engineLogger(log.logger)({
        kind: "committed",
        transitions: [down.transition, up.transition],
        attributions: [],
        holds: [],
      });
      const recovery = log.lines.find((line) => line.from === "down");
      expect(recovery).toMatchObject({
        event: "transition",
        at: new Date(up.transition.at).toISOString(),
        outage_started_at: new Date(down.transition.at).toISOString(),
        outage_seconds: 6,
        outage_duration: "6s",
      });
    },
  );
});
