import { describe, expect, it } from "vitest";
import { PantauMetrics } from "../../src/expose/metrics.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";

describe("ledger queue and clock metrics", () => {
  it("are exposed from the start, and follow the engine's queue, put-off decisions and clock jumps", async () => {
    const metrics = new PantauMetrics({ version: "test", defaultMetrics: false });
    const render = async () => parsePromText(await metrics.render());
    const before = await render();
    expect(sampleValue(before, "pantau_ledger_queue_length")).toBe(0);
    expect(sampleValue(before, "pantau_ledger_queue_limit")).toBe(100_000);
    expect(sampleValue(before, "pantau_ledger_writable")).toBe(1);
    expect(sampleValue(before, "pantau_ledger_queue_dropped_total")).toBe(0);
    expect(sampleValue(before, "pantau_clock_jumps_total", { direction: "forward" })).toBe(0);
    expect(sampleValue(before, "pantau_clock_jumps_total", { direction: "backward" })).toBe(0);

    const state = { length: 1234, max: 100_000, dropped: 0 };
    const putOff = { targetId: "a", from: "up", to: "down", at: 0, detectedAt: 0 } as const;
    const decision = { ...putOff, previousProbeAt: null, reason: null, detail: null };
    metrics.listener({ kind: "queue", queue: state });
    metrics.listener({ kind: "queue", queue: state, putOff: decision });
    metrics.listener({ kind: "queue", queue: state, putOff: decision });
    metrics.listener({ kind: "clock-jump", jump: { jumpMs: -3_600_000, at: 0 } });
    const after = await render();
    expect(sampleValue(after, "pantau_ledger_queue_length")).toBe(1234);
    expect(sampleValue(after, "pantau_ledger_queue_dropped_total")).toBe(2);
    expect(sampleValue(after, "pantau_clock_jumps_total", { direction: "backward" })).toBe(1);
    expect(sampleValue(after, "pantau_clock_jumps_total", { direction: "forward" })).toBe(0);
  });

  it("say whether the ledger takes writes, with the queue's bound, from the engine's ledger reports", async () => {
    const metrics = new PantauMetrics({ version: "test", defaultMetrics: false });
    const render = async () => parsePromText(await metrics.render());
    const queue = metrics.ledgerQueue;
    queue.queueLimitChanged(500);
    expect(sampleValue(await render(), "pantau_ledger_queue_limit")).toBe(500);
    const trouble = { since: 0, error: "SQLITE_READONLY: x", operations: ["heartbeat" as const] };
    const state = { length: 0, max: 400, dropped: 0 };
    metrics.listener({ kind: "unwritable", report: { ...trouble, failures: 1 }, queue: state });
    const unwritable = await render();
    expect(sampleValue(unwritable, "pantau_ledger_writable")).toBe(0);
    expect(sampleValue(unwritable, "pantau_ledger_queue_length")).toBe(0);
    expect(sampleValue(unwritable, "pantau_ledger_queue_limit")).toBe(400);
    metrics.listener({ kind: "writable", report: { since: 0, at: 1, failures: 12 }, queue: state });
    expect(sampleValue(await render(), "pantau_ledger_writable")).toBe(1);
  });
});
