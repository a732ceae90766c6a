/** The adapter from the engine's committed events to the firing logic: the only engine seam. */
import { describe, expect, it } from "vitest";
import { settle } from "../support/time.js";
import { committed, memoryNotifier, summary } from "./memory-channel.js";

const LEASE = 4 * 60_000;

describe("alert engine events", () => {
  it("are the three hooks alerting reads, and nothing else", () => {
    const { notifier } = memoryNotifier();
    expect(Object.keys(notifier.events).sort()).toEqual([
      "attributionsCommitted",
      "pageHoldsChanged",
      "transitionsCommitted",
    ]);
  });

  it("fire a committed →down, hold one waiting on an upstream, resolve on recovery", async () => {
    const { time, channel, notifier } = memoryNotifier();
    const cgk = { targetId: "autogate-cgk", service: "autogate", site: "cgk" };
    notifier.events.transitionsCommitted([
      committed({ at: time.now() }),
      committed({ ...cgk, at: time.now(), waitingOn: ["simkim-core"] }),
    ]);
    await settle();
    expect(notifier.heldTargets()).toEqual(["autogate-cgk"]);
    notifier.events.transitionsCommitted([
      committed({ from: "down", to: "up", at: time.now() + 1 }),
    ]);
    await settle();
    expect(summary(channel)).toEqual([
      [["firing", "simkim-core", null, time.now() + LEASE]],
      [["resolved", "simkim-core", null, time.now() + 1]],
    ]);
    await notifier.stop();
  });

  it("keep a hold that narrowed, release one whose verdicts are in, with its attribution", async () => {
    const { time, channel, notifier } = memoryNotifier();
    const cgk = { targetId: "autogate-cgk", service: "autogate", site: "cgk" };
    notifier.events.transitionsCommitted([
      committed({ ...cgk, at: time.now(), waitingOn: ["dns", "simkim-core"] }),
    ]);
    notifier.events.pageHoldsChanged([{ targetId: "autogate-cgk", waitingOn: ["simkim-core"] }]);
    await settle();
    expect(channel.deliveries).toEqual([]);
    expect(notifier.heldTargets()).toEqual(["autogate-cgk"]);
    notifier.events.attributionsCommitted([
      { targetId: "autogate-cgk", blockedBy: "simkim-core", at: time.now() },
    ]);
    notifier.events.pageHoldsChanged([{ targetId: "autogate-cgk", waitingOn: [] }]);
    await settle();
    expect(summary(channel)).toEqual([
      [["firing", "autogate-cgk", "simkim-core", time.now() + LEASE]],
    ]);
    expect(notifier.heldTargets()).toEqual([]);
    await notifier.stop();
  });
});
