/**
 * The engine's push watch on fake time: pushes and missed deadlines folded into each target's
 * chain with exact times, the deadline rule across a restart (the last push from the ledger),
 * reloads, removal, and the ledger record of each push.
 */
import { describe, expect, it } from "vitest";
import type { Target } from "../../src/config/types.js";
import { Engine } from "../../src/engine/engine.js";
import { verdictDeadline } from "../../src/engine/page-holds.js";
import type { PushReceipt } from "../../src/engine/push-watch.js";
import type { PushRecord, StoredTransition } from "../../src/ledger/ledger.js";
import type { Timers } from "../../src/time/clock.js";
import { on } from "../support/engine-events.js";
import { FakeLedger, sqliteFull } from "../support/fake-ledger.js";
import { makePushTarget } from "../support/targets.js";
import { FakeTime } from "../support/time.js";

const T0 = Date.UTC(2024, 5, 20, 3, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
/** expect_every 1m + grace 30s. */
const D1 = 90 * SECOND;

/** Timers that never fire: a loop too busy to run them, until something else happens. */
const STALLED: Timers = { setTimeout: () => ({}), clearTimeout: () => undefined };

interface HarnessOptions {
  targets?: Target[];
  /** Each target's latest committed transition (a restart). */
  latest?: StoredTransition[];
  /** The ledger's last pushes (a restart). */
  pushes?: PushRecord[];
  /** When the engine starts. */
  startAt?: number;
  timers?: Timers;
}

function harness(options: HarnessOptions = {}) {
  const time = new FakeTime(options.startAt ?? T0);
  const ledger = new FakeLedger();
  for (const push of options.pushes ?? []) ledger.pushes.set(push.targetId, push);
  const engine = new Engine({
    clock: time,
    timers: options.timers ?? time,
    ledger,
    runId: 1,
    instance: "push",
    runProbe: () => Promise.reject(new Error("a push target is never probed")),
    commitRetryMs: SECOND,
  });
  const targets = options.targets ?? [makePushTarget("job")];
  for (const target of targets) {
    const latest = options.latest?.find((t) => t.targetId === target.id) ?? null;
    engine.restore(target, latest);
    engine.push.watch(target, ledger.pushes.get(target.id) ?? null);
  }
  const deadlines: [string, number][] = [];
  on(engine, { push: (event) => deadlines.push([event.target.id, event.deadline]) });
  engine.push.start();
  /** Moves fake time to `at` (its timers fire on the way), then commits what was decided. */
  const until = async (at: number) => {
    await time.advance(at - time.now());
    await engine.flush();
  };
  const push = async (id: string, status: "ok" | "fail" = "ok", message = "") => {
    const receipt = await engine.push.received(id, status, message);
    await engine.flush();
    return receipt;
  };
  /** The committed transitions as [to, at, previous_probe_at, detected_at, reason, detail]. */
  const transitions = () =>
    ledger.committed.map((t) => [t.to, t.at, t.previousProbeAt, t.detectedAt, t.reason, t.detail]);
  return { time, ledger, engine, until, push, transitions, deadlines };
}

const committed = (
  targetId: string,
  to: StoredTransition["to"],
  at: number,
  from: StoredTransition["from"] = "unknown",
): StoredTransition => ({
  id: 1,
  runId: 0,
  instance: "push",
  targetId,
  service: "svc",
  site: "site",
  from,
  to,
  at,
  detectedAt: at,
  previousProbeAt: null,
  reason: to === "down" ? "push_missed" : null,
  detail: null,
  blockedBy: null,
  maintenance: false,
});

const missed = (since: number | null) =>
  `${since === null ? "no push yet" : `no push since ${new Date(since).toISOString()}`} (expect_every 1m + grace 30s)`;

describe("a push", () => {
  it("is an ok observation at its arrival, answered with the next deadline once recorded", async () => {
    const h = harness();
    await h.until(T0 + 5 * SECOND);
    const receipt = await h.push("job", "ok", "nightly run 412 ok");
    expect(receipt).toEqual({
      kind: "received",
      at: T0 + 5 * SECOND,
      deadline: T0 + 5 * SECOND + D1,
      recorded: true,
    } satisfies PushReceipt);
    expect(h.transitions()).toEqual([["up", T0 + 5 * SECOND, null, T0 + 5 * SECOND, null, null]]);
    expect(h.ledger.pushes.get("job")).toEqual({
      targetId: "job",
      at: T0 + 5 * SECOND,
      status: "ok",
      message: "nightly run 412 ok",
    });
    expect(h.engine.lastResult("job")).toMatchObject({
      result: "ok",
      detail: "nightly run 412 ok",
    });
    expect(h.engine.push.view("job")).toEqual({
      lastPush: h.ledger.pushes.get("job"),
      deadline: T0 + 5 * SECOND + D1,
    });
  });

  it("with status=fail is a failed observation, push_failed, its message the detail", async () => {
    const h = harness();
    await h.push("job");
    await h.until(T0 + 20 * SECOND);
    await h.push("job", "fail", "disk full on /var/spool");
    expect(h.transitions()).toEqual([
      ["up", T0, null, T0, null, null],
      ["down", T0 + 20 * SECOND, T0, T0 + 20 * SECOND, "push_failed", "disk full on /var/spool"],
    ]);
  });
});

describe("a missed deadline", () => {
  it("opens the outage at the deadline itself, last_ok_at the last push, and not a millisecond before", async () => {
    const h = harness();
    await h.push("job");
    await h.until(T0 + MINUTE);
    await h.push("job");
    await h.until(T0 + MINUTE + D1 - 1);
    expect(h.transitions()).toHaveLength(1);
    await h.until(T0 + MINUTE + D1);
    expect(h.transitions()).toEqual([
      ["up", T0, null, T0, null, null],
      ["down", T0 + MINUTE + D1, T0 + MINUTE, T0 + MINUTE + D1, "push_missed", missed(T0 + MINUTE)],
    ]);
    // each expect_every later another deadline passes: the deadline gauge moves on
    await h.until(T0 + MINUTE + D1 + MINUTE);
    expect(h.deadlines.at(-1)).toEqual(["job", T0 + MINUTE + D1 + 2 * MINUTE]);
    // the next push ends it; its last_failed_at is the last missed deadline
    await h.until(T0 + 5 * MINUTE);
    await h.push("job");
    expect(h.transitions().at(-1)).toEqual([
      "up",
      T0 + 5 * MINUTE,
      T0 + MINUTE + D1 + 2 * MINUTE,
      T0 + 5 * MINUTE,
      null,
      null,
    ]);
  });

  it("counts towards failure_threshold like a failed probe: the third decides, the first is `at`", async () => {
    const h = harness({ targets: [makePushTarget("job", {}, { failureThreshold: 3 })] });
    await h.push("job");
    await h.until(T0 + D1 + MINUTE);
    expect(h.transitions()).toHaveLength(1);
    await h.until(T0 + D1 + 2 * MINUTE);
    expect(h.transitions()).toEqual([
      ["up", T0, null, T0, null, null],
      ["down", T0 + D1, T0, T0 + D1 + 2 * MINUTE, "push_missed", missed(T0)],
    ]);
  });

  it("after a push with status=fail continues its outage, which starts at that push", async () => {
    const h = harness({ targets: [makePushTarget("job", {}, { failureThreshold: 2 })] });
    await h.push("job");
    await h.until(T0 + 10 * SECOND);
    await h.push("job", "fail", "camera offline");
    await h.until(T0 + 10 * SECOND + D1);
    expect(h.transitions().at(-1)).toEqual([
      "down",
      T0 + 10 * SECOND,
      T0,
      T0 + 10 * SECOND + D1,
      "push_failed",
      "camera offline",
    ]);
  });

  it("is observed at its own time when found late, before the push that came after it", async () => {
    // the timers never fire (a stalled loop): the push finds the deadlines passed
    const h = harness({
      timers: STALLED,
      targets: [makePushTarget("job", {}, { failureThreshold: 2 })],
    });
    await h.push("job");
    await h.until(T0 + D1 + MINUTE + 5 * SECOND);
    expect(h.transitions()).toHaveLength(1);
    await h.push("job");
    expect(h.transitions()).toEqual([
      ["up", T0, null, T0, null, null],
      ["down", T0 + D1, T0, T0 + D1 + MINUTE + 5 * SECOND, "push_missed", missed(T0)],
      [
        "up",
        T0 + D1 + MINUTE + 5 * SECOND,
        T0 + D1 + MINUTE,
        T0 + D1 + MINUTE + 5 * SECOND,
        null,
        null,
      ],
    ]);
  });

  it("of a target never pushed runs from when the watch began; it leaves unknown for down", async () => {
    const h = harness({ targets: [makePushTarget("job", {}, { failureThreshold: 2 })] });
    await h.until(T0 + D1 + MINUTE);
    expect(h.transitions()).toEqual([
      ["down", T0 + D1, null, T0 + D1 + MINUTE, "push_missed", missed(null)],
    ]);
  });
});

describe("across a restart: the last push from the ledger", () => {
  it("restarted before the next deadline: no outage, and the deadline runs from the push, not the start", async () => {
    const h = harness({
      startAt: T0 + 80 * SECOND,
      latest: [committed("job", "up", T0 - MINUTE)],
      pushes: [{ targetId: "job", at: T0, status: "ok", message: "" }],
    });
    await h.until(T0 + D1 - 1);
    expect(h.transitions()).toEqual([]);
    expect(h.engine.push.view("job")?.deadline).toBe(T0 + D1);
    await h.until(T0 + D1);
    expect(h.transitions()).toEqual([["down", T0 + D1, T0, T0 + D1, "push_missed", missed(T0)]]);
  });

  it("a deadline passed while the daemon was down opens the outage at that deadline, as it starts", async () => {
    const start = T0 + 10 * MINUTE;
    const h = harness({
      startAt: start,
      targets: [makePushTarget("job", {}, { failureThreshold: 3 })],
      latest: [committed("job", "up", T0)],
      pushes: [{ targetId: "job", at: T0, status: "ok", message: "" }],
    });
    await h.engine.flush();
    expect(h.transitions()).toEqual([["down", T0 + D1, T0, start, "push_missed", missed(T0)]]);
    // the next deadline is the first after the start, on the push's grid
    expect(h.engine.push.view("job")?.deadline).toBe(T0 + D1 + 9 * MINUTE);
    // its recovery's last_failed_at is the last deadline missed before the start
    await h.until(start + 5 * SECOND);
    await h.push("job");
    expect(h.transitions().at(-1)).toEqual([
      "up",
      start + 5 * SECOND,
      T0 + D1 + 8 * MINUTE,
      start + 5 * SECOND,
      null,
      null,
    ]);
  });

  it("the last push is observed again: a failure the restart cut continues with the next deadline", async () => {
    const h = harness({
      startAt: T0 + 20 * SECOND,
      targets: [makePushTarget("job", {}, { failureThreshold: 2 })],
      latest: [committed("job", "up", T0 - MINUTE)],
      pushes: [
        { targetId: "job", at: T0 + 10 * SECOND, status: "fail", message: "camera offline" },
      ],
    });
    await h.until(T0 + 10 * SECOND + D1);
    expect(h.transitions()).toEqual([
      ["down", T0 + 10 * SECOND, null, T0 + 10 * SECOND + D1, "push_failed", "camera offline"],
    ]);
  });

  it("a last push older than the state restored is not observed again", async () => {
    // down since a deadline after the push: observing the push again would start a recovery
    const h = harness({
      startAt: T0 + D1 + 10 * SECOND,
      latest: [committed("job", "down", T0 + D1, "up")],
      pushes: [{ targetId: "job", at: T0, status: "ok", message: "" }],
      targets: [makePushTarget("job", {}, { successThreshold: 1 })],
    });
    await h.engine.flush();
    expect(h.transitions()).toEqual([]);
    expect(h.engine.committedState("job")?.state).toBe("down");
  });
});

describe("reloads and removal", () => {
  it("a changed expect_every keeps the last push; deadlines it would have passed are not counted", async () => {
    const h = harness();
    await h.push("job");
    await h.until(T0 + 40 * SECOND);
    // every 10 s now: the deadlines at 10 s, 20 s, 30 s and 40 s after the push have passed
    h.engine.update(makePushTarget("job", { expectEvery: 10 * SECOND, grace: 0 }));
    h.engine.push.watch(makePushTarget("job", { expectEvery: 10 * SECOND, grace: 0 }));
    await h.engine.flush();
    expect(h.transitions()).toHaveLength(1);
    expect(h.engine.push.view("job")?.deadline).toBe(T0 + 50 * SECOND);
    await h.until(T0 + 50 * SECOND);
    expect(h.transitions().at(-1)).toEqual([
      "down",
      T0 + 50 * SECOND,
      T0,
      T0 + 50 * SECOND,
      "push_missed",
      "no push since 2024-06-20T03:00:00.000Z (expect_every 10s + grace 0s)",
    ]);
  });

  it("a removed target's deadline no longer fires, and its pushes are not watched", async () => {
    const h = harness();
    await h.push("job");
    h.engine.remove("job");
    await h.until(T0 + 10 * MINUTE);
    expect(h.transitions()).toEqual([["up", T0, null, T0, null, null]]);
    expect(await h.push("job")).toEqual({ kind: "not-watched" });
    expect(h.time.pendingTimers).toBe(0);
  });

  it("stopped: no deadline fires and no push counts", async () => {
    const h = harness();
    await h.push("job");
    h.engine.push.stop();
    await h.until(T0 + 10 * MINUTE);
    expect(await h.push("job")).toEqual({ kind: "not-watched" });
    expect(h.transitions()).toHaveLength(1);
  });
});

describe("the ledger record of pushes", () => {
  it("pushes of one turn share a transaction; only each target's latest is written", async () => {
    const h = harness({ targets: [makePushTarget("a"), makePushTarget("b")] });
    const receipts = await Promise.all([
      h.engine.push.received("a", "ok", "1"),
      h.engine.push.received("b", "ok", ""),
      h.engine.push.received("a", "ok", "2"),
    ]);
    expect(receipts.map((r) => r.kind === "received" && r.recorded)).toEqual([true, true, true]);
    expect(h.ledger.pushWrites).toEqual([{ size: 2, ok: true }]);
    expect(h.ledger.pushes.get("a")?.message).toBe("2");
  });

  it("a failed write answers recorded: false; the push counts, and is written on the retry", async () => {
    const h = harness();
    h.ledger.failWith = sqliteFull();
    const receipt = await h.engine.push.received("job", "ok", "");
    expect(receipt).toMatchObject({ kind: "received", recorded: false });
    expect(h.engine.ledgerTrouble?.operations).toContain("push");
    h.ledger.failWith = null;
    await h.until(T0 + SECOND);
    expect(h.ledger.pushes.get("job")?.at).toBe(T0);
    expect(h.transitions()).toEqual([["up", T0, null, T0, null, null]]);
    expect(h.engine.ledgerTrouble).toBeNull();
  });
});

describe("a push target as an upstream", () => {
  it("gives its verdict at the latest failure_threshold × expect_every + grace after a failure", () => {
    const upstream = makePushTarget("core-sync", {}, { failureThreshold: 2 });
    expect(verdictDeadline(upstream, T0)).toBe(T0 + 2 * MINUTE + 30 * SECOND);
  });
});
