/** The listener from the engine's committed events to the firing logic: the only engine seam. */
import { describe, expect, it } from "vitest";
import { settle } from "../support/time.js";
import { committed, memoryNotifier, summary } from "./memory-channel.js";

const LEASE = 4 * 60_000;

describe("alert engine events", () => {
  it("read committed facts and page holds, and nothing else", async () => {
    const { time, channel, notifier } = memoryNotifier();
    const down = committed({ at: time.now() });
    const failed = { result: "error", what: "transitions", durationMs: 1, count: 1 } as const;
    notifier.listener({ kind: "write", ...failed, error: new Error("x"), pending: 1 });
    notifier.listener({ kind: "queue", queue: { length: 1, max: 10, dropped: 0 } });
    await settle();
    expect(channel.deliveries).toEqual([]);
    notifier.listener({ kind: "committed", transitions: [down], attributions: [], holds: [] });
    await settle();
    expect(summary(channel)).toEqual([[["firing", "simkim-core", null, time.now() + LEASE]]]);
    await notifier.stop();
  });

  it("fire a committed →down, hold one waiting on an upstream, resolve on recovery", async () => {
    const { time, channel, notifier } = memoryNotifier();
    const cgk = { targetId: "autogate-cgk", service: "autogate", site: "cgk" };
    notifier.listener({
      kind: "committed",
      transitions: [
        committed({ at: time.now() - 1 }),
        committed({ ...cgk, at: time.now() - 1, waitingOn: ["simkim-core"] }),
      ],
      attributions: [],
      holds: [],
    });
    await settle();
    expect(notifier.heldTargets()).toEqual(["autogate-cgk"]);
    notifier.listener({
      kind: "committed",
      transitions: [committed({ from: "down", to: "up", at: time.now() })],
      attributions: [],
      holds: [],
    });
    await settle();
    expect(summary(channel)).toEqual([
      [["firing", "simkim-core", null, time.now() + LEASE]],
      [["resolved", "simkim-core", null, time.now()]],
    ]);
    await notifier.stop();
  });

  it("keep a hold that narrowed, release one whose verdicts are in, with its attribution", async () => {
    const { time, channel, notifier } = memoryNotifier();
    const cgk = { targetId: "autogate-cgk", service: "autogate", site: "cgk" };
    notifier.listener({
      kind: "committed",
      transitions: [committed({ ...cgk, at: time.now(), waitingOn: ["dns", "simkim-core"] })],
      attributions: [],
      holds: [],
    });
    notifier.listener({
      kind: "holds",
      changes: [{ targetId: "autogate-cgk", waitingOn: ["simkim-core"] }],
    });
    await settle();
    expect(channel.deliveries).toEqual([]);
    expect(notifier.heldTargets()).toEqual(["autogate-cgk"]);
    // a commit publishes the change of attribution before the hold it settles
    notifier.listener({
      kind: "committed",
      transitions: [],
      attributions: [{ targetId: "autogate-cgk", blockedBy: "simkim-core", at: time.now() }],
      holds: [{ targetId: "autogate-cgk", waitingOn: [] }],
    });
    await settle();
    expect(summary(channel)).toEqual([
      [["firing", "autogate-cgk", "simkim-core", time.now() + LEASE]],
    ]);
    expect(notifier.heldTargets()).toEqual([]);
    await notifier.stop();
  });
});
