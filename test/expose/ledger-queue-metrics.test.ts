import { describe, expect, it } from "vitest";
import { PantauMetrics } from "../../src/expose/metrics.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";

describe("ledger queue and clock metrics", () => {
  it("are exposed from the start, and follow the engine's queue, put-off decisions and clock jumps", async () => {
    const metrics = new PantauMetrics({ version: "test", defaultMetrics: false });
    const render = async () => parsePromText(await metrics.render());
    const before = await render();
    expect(sampleValue(before, "pantau_ledger_queue_length")).toBe(0);
    expect(sampleValue(before, "pantau_ledger_queue_dropped_total")).toBe(0);
    expect(sampleValue(before, "pantau_clock_jumps_total", { direction: "forward" })).toBe(0);
    expect(sampleValue(before, "pantau_clock_jumps_total", { direction: "backward" })).toBe(0);

    const queue = metrics.ledgerQueue;
    queue.queueLengthChanged(1234);
    queue.transitionDropped();
    queue.transitionDropped();
    queue.clockJumped({ jumpMs: -3_600_000, at: 0 });
    const after = await render();
    expect(sampleValue(after, "pantau_ledger_queue_length")).toBe(1234);
    expect(sampleValue(after, "pantau_ledger_queue_dropped_total")).toBe(2);
    expect(sampleValue(after, "pantau_clock_jumps_total", { direction: "backward" })).toBe(1);
    expect(sampleValue(after, "pantau_clock_jumps_total", { direction: "forward" })).toBe(0);
  });
});
