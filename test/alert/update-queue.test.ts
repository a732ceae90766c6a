/** The delivery queue's ordering and bound, and the backoff between failed deliveries. */
import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/alert/backoff.js";
import type { OutageAlert } from "../../src/alert/outage-alert.js";
import { type AlertUpdate, UpdateQueue } from "../../src/alert/update-queue.js";

const outage = (targetId: string): OutageAlert => ({
  targetId,
  targetName: targetId,
  service: "s",
  site: "",
  instance: "i",
  start: 0,
  reason: null,
  detail: null,
  blockedBy: null,
});
const fire = (id: string): AlertUpdate => ({ kind: "fire", outage: outage(id), leaseMs: 1 });
const resend = (id: string): AlertUpdate => ({ kind: "resend", outage: outage(id), leaseMs: 1 });
const resolve = (id: string): AlertUpdate => ({
  kind: "resolve",
  outage: outage(id),
  end: { at: 1, reason: "recovered" },
});

/** Puts each update under its target id as key; returns what `take` yields, as kind:key. */
function queued(updates: AlertUpdate[], max = 100, dropped: number[] = []): string[] {
  const queue = new UpdateQueue(max, (n) => dropped.push(n));
  for (const update of updates) queue.put(update.outage.targetId, update);
  return queue.take(100).map(([, u]) => `${u.kind}:${u.outage.targetId}`);
}

describe("UpdateQueue", () => {
  it.each([
    ["a resolve supersedes a fire not yet sent", [fire("a"), resolve("a")], ["resolve:a"]],
    [
      "a fire after a resolve goes out after it",
      [resolve("a"), fire("a")],
      ["resolve:a", "fire:a"],
    ],
    ["a later fire replaces a waiting resend", [resend("a"), fire("a")], ["fire:a"]],
    [
      "other alerts keep their order",
      [fire("a"), fire("b"), resolve("a")],
      ["fire:b", "resolve:a"],
    ],
  ])("%s", (_name, updates, expected) => {
    expect(queued(updates)).toEqual(expected);
  });

  it("drops the oldest resends first when over its bound, and says how many", () => {
    const dropped: number[] = [];
    const updates = [fire("a"), resend("b"), resend("c"), fire("d")];
    expect(queued(updates, 2, dropped)).toEqual(["fire:a", "fire:d"]);
    expect(dropped).toEqual([1, 1]);
  });

  it("puts a failed batch back in front, unless a newer update for the alert came", () => {
    const queue = new UpdateQueue(100, () => undefined);
    queue.put("a", fire("a"));
    queue.put("b", fire("b"));
    const batch = queue.take(2);
    queue.put("c", fire("c"));
    queue.put("b", resend("b"));
    queue.restore(batch);
    expect(queue.take(10).map(([, u]) => `${u.kind}:${u.outage.targetId}`)).toEqual([
      "fire:a",
      "fire:c",
      "resend:b",
    ]);
  });
});

describe("backoffDelay", () => {
  it.each([
    [1, 0.5, 1000],
    [2, 0.5, 2000],
    [5, 0.5, 16_000],
    [6, 0.5, 30_000],
    [40, 0.5, 30_000],
    [1, 0, 800],
    [1, 0.999_999, 1200],
    [6, 0, 24_000],
  ])("after %i failures with random %d waits %i ms", (failures, random, delay) => {
    expect(backoffDelay(failures, random)).toBe(delay);
  });
});
