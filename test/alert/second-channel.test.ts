/**
 * A second channel plugs in by implementing AlertChannel alone: the firing logic (fire, hold,
 * resolve, reattribute, resend with its lease) and the delivery (batches, retries, backoff)
 * run unchanged through an in-memory channel and through a webhook written here in a few lines.
 */
import { describe, expect, it } from "vitest";
import type { AlertChannel, AlertNotice, DeliveryOutcome } from "../../src/alert/channel.js";
import { AlertNotifier } from "../../src/alert/notifier.js";
import { startReceiver } from "../support/servers/receiver.js";
import { FakeTime, settle } from "../support/time.js";
import { until } from "../support/until.js";
import { committed, memoryNotifier, summary } from "./memory-channel.js";

const MIN = 60_000;

describe("the firing logic through an in-memory channel", () => {
  it("fires with a lease of 4 resends, renews it every resend, resolves on recovery", async () => {
    const { time, channel, notifier, results } = memoryNotifier();
    const start = time.now() - 90_000;
    notifier.firing.recordTransitions([committed({ at: start })]);
    await settle();
    const firstLease = time.now() + 4 * MIN;
    await time.advance(MIN);
    const secondLease = time.now() + 4 * MIN;
    notifier.firing.recordTransitions([committed({ from: "down", to: "up", at: time.now() })]);
    await settle();
    expect(summary(channel)).toEqual([
      [["firing", "simkim-core", null, firstLease]],
      [["firing", "simkim-core", null, secondLease]],
      [["resolved", "simkim-core", null, time.now()]],
    ]);
    expect(channel.deliveries[0]?.[0]?.outage).toMatchObject({ start, targetName: "SIMKIM-CORE" });
    expect(channel.deliveries[2]?.[0]).toMatchObject({ end: { reason: "recovered" } });
    await time.advance(10 * MIN);
    expect(channel.deliveries).toHaveLength(3);
    expect(time.pendingTimers).toBe(0);
    expect(results).toEqual(["ok", "ok", "ok"]);
    await notifier.stop();
  });

  it("holds a dependant's page until its upstream's verdict, then fires it from its true start", async () => {
    const { time, channel, notifier } = memoryNotifier();
    const start = time.now() - 30_000;
    const cgk = { targetId: "autogate-cgk", service: "autogate", site: "cgk" };
    notifier.firing.recordTransitions([
      committed({ ...cgk, at: start, waitingOn: ["simkim-core"] }),
    ]);
    notifier.firing.holdsChanged([{ targetId: "autogate-cgk", waitingOn: ["simkim-core"] }]);
    await time.advance(20_000);
    expect(channel.deliveries).toEqual([]);
    expect(notifier.heldTargets()).toEqual(["autogate-cgk"]);
    // the verdict: the core went down too, so the dependant is blocked by it
    notifier.firing.reattribute([
      { targetId: "autogate-cgk", blockedBy: "simkim-core", at: time.now() },
    ]);
    notifier.firing.holdsChanged([{ targetId: "autogate-cgk", waitingOn: [] }]);
    await settle();
    expect(summary(channel)).toEqual([
      [["firing", "autogate-cgk", "simkim-core", time.now() + 4 * MIN]],
    ]);
    expect(channel.deliveries[0]?.[0]?.outage.start).toBe(start);
    await notifier.stop();
  });

  it("on a new attribution resolves the old alert and fires the new one from the same start", async () => {
    const { time, channel, notifier } = memoryNotifier();
    const start = time.now() - 80_000;
    notifier.firing.recordTransitions([committed({ at: start, blockedBy: "dns" })]);
    await settle();
    notifier.firing.reattribute([{ targetId: "simkim-core", blockedBy: null, at: time.now() }]);
    await settle();
    expect(summary(channel)).toEqual([
      [["firing", "simkim-core", "dns", time.now() + 4 * MIN]],
      [
        ["resolved", "simkim-core", "dns", time.now()],
        ["firing", "simkim-core", null, time.now() + 4 * MIN],
      ],
    ]);
    expect(channel.deliveries[1]?.[0]).toMatchObject({ end: { reason: "reattributed" } });
    expect(channel.deliveries[1]?.[1]?.outage.start).toBe(start);
    await notifier.stop();
  });

  it("retries what the channel says to retry, with backoff, and drops what it refuses", async () => {
    const { time, channel, notifier, results, log } = memoryNotifier();
    channel.outcomes.push({ kind: "retry", error: "busy" }, new Error("a bug in the channel"));
    notifier.firing.recordTransitions([committed({ at: time.now() })]);
    await settle();
    await time.advance(999);
    expect(channel.deliveries).toHaveLength(1);
    await time.advance(1);
    expect(channel.deliveries).toHaveLength(2);
    await time.advance(2000);
    expect(channel.deliveries).toHaveLength(3);
    expect(results).toEqual(["error", "error", "ok"]);
    const failed = log.lines.filter((line) => line.event === "memory_post_failed");
    expect(failed.map((line) => [line.retry_in_ms, line.error])).toEqual([
      [1000, "busy"],
      [2000, "a bug in the channel"],
    ]);
    channel.outcomes.push({ kind: "rejected", error: "no such receiver" });
    notifier.firing.recordTransitions([committed({ from: "down", to: "up", at: time.now() })]);
    await time.advance(5 * MIN);
    expect(channel.deliveries).toHaveLength(4);
    expect(log.lines.filter((line) => line.event === "memory_rejected")).toHaveLength(1);
    await notifier.stop();
  });

  it("cuts a mass outage into deliveries of the channel's size, one at a time", async () => {
    const { time, channel, notifier } = memoryNotifier(2);
    const ids = ["a", "b", "c", "d", "e"];
    notifier.firing.recordTransitions(ids.map((targetId) => committed({ targetId, at: 0 })));
    await settle();
    expect(channel.deliveries.map((d) => d.map((n) => n.outage.targetId))).toEqual([
      ["a", "b"],
      ["c", "d"],
      ["e"],
    ]);
    expect(time.pendingTimers).toBe(1);
    await notifier.stop();
  });

  it("closes the channel once on stop and delivers nothing after", async () => {
    const { time, channel, notifier } = memoryNotifier();
    await notifier.stop();
    notifier.firing.recordTransitions([committed({ at: time.now() })]);
    await time.advance(5 * MIN);
    expect(channel.deliveries).toEqual([]);
    expect(channel.closed).toBe(1);
    expect(time.pendingTimers).toBe(0);
  });
});

/** A webhook: one JSON POST per delivery. The whole of what a new channel has to write. */
class WebhookChannel implements AlertChannel {
  readonly name = "webhook";
  readonly maxBatch = 100;
  constructor(private readonly url: string) {}

  async deliver(alerts: readonly AlertNotice[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = alerts.map((a) => ({ status: a.status, target: a.outage.targetId }));
    try {
      const response = await fetch(this.url, {
        method: "POST",
        body: JSON.stringify(body),
        signal,
      });
      await response.text();
      return response.ok ? { kind: "delivered" } : { kind: "retry", error: `${response.status}` };
    } catch (error) {
      return { kind: "retry", error: String(error) };
    }
  }

  async close(): Promise<void> {}
}

describe("a webhook channel against a loopback receiver", () => {
  it("gets the outage and its recovery, in order", async () => {
    const bodies: unknown[] = [];
    const receiver = await startReceiver((_path, body) => bodies.push(JSON.parse(body)));
    const time = new FakeTime();
    const notifier = new AlertNotifier({
      channel: new WebhookChannel(`${receiver.url}/hook`),
      resendMs: MIN,
      instance: "jakarta-1",
      clock: time,
      timers: time,
      targetName: () => undefined,
      onDelivery: () => undefined,
    });
    try {
      notifier.firing.recordTransitions([committed({ at: time.now() })]);
      await until(() => bodies.length === 1, { what: "the firing alert" });
      notifier.firing.recordTransitions([committed({ from: "down", to: "up", at: time.now() })]);
      await until(() => bodies.length === 2, { what: "the resolution" });
      expect(bodies).toEqual([
        [{ status: "firing", target: "simkim-core" }],
        [{ status: "resolved", target: "simkim-core" }],
      ]);
    } finally {
      await notifier.stop();
      await receiver.close();
    }
  });
});
