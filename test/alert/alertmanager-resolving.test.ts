/** Resolving on recovery, removal and reattribution, as Alertmanager receives it. */
import { describe, expect, it } from "vitest";
import {
  answered,
  dependant,
  down,
  iso,
  MIN,
  posts,
  quiet,
  ROOT_LABELS,
  setup,
  transition,
  useFakeAlertmanager,
} from "./alertmanager-fixture.js";

useFakeAlertmanager();

describe("alerts to Alertmanager: resolving", () => {
  it("resolves on recovery with endsAt, the human duration and seconds, and stops resending", async () => {
    const { time, notifier, results } = setup();
    const outageMs = ((2 * 24 + 4) * 60 + 13) * MIN;
    // the outage began long before; fake time must not race real I/O over thousands of resends
    const start = time.now() - outageMs + 30_000;
    notifier.firing.recordTransitions([down(time, outageMs - 30_000)]);
    await answered(results, 1);
    await time.advance(30_000);
    const before = posts.length;
    const recovery = transition({ from: "down", to: "up", at: start + outageMs, reason: null });
    notifier.firing.recordTransitions([recovery]);
    await answered(results, before + 1);
    expect(posts.at(-1)).toEqual([
      {
        labels: ROOT_LABELS,
        annotations: {
          summary: "SIMKIM core (simkim-core) is down",
          description: `simkim-core down since ${iso(start)} (connect_refused: connection refused)`,
          end_reason: "recovered",
          duration: "2d 4h 13m",
          duration_seconds: "187980",
        },
        startsAt: iso(start),
        endsAt: iso(start + outageMs),
      },
    ]);
    await time.advance(10 * MIN);
    await quiet();
    expect(posts).toHaveLength(before + 1);
    expect(time.pendingTimers).toBe(0);
    await notifier.stop();
  });

  it("posts a recovery and a new outage of the same labels both, the resolve first", async () => {
    const { time, notifier, results } = setup();
    const start = time.now() - 1000;
    notifier.firing.recordTransitions([down(time, 1000)]);
    await answered(results, 1);
    await time.advance(10_000);
    const end = time.now() - 5000;
    notifier.firing.recordTransitions([
      transition({ from: "down", to: "up", at: end, reason: null }),
      transition({ from: "up", to: "down", at: time.now() - 1000 }),
    ]);
    await answered(results, 2);
    expect(posts[1]?.map(({ startsAt, endsAt }) => ({ startsAt, endsAt }))).toEqual([
      { startsAt: iso(start), endsAt: iso(end) },
      { startsAt: iso(time.now() - 1000), endsAt: iso(time.now() + 4 * MIN) },
    ]);
    expect(notifier.firingTargets()).toEqual(["simkim-core"]);
    await notifier.stop();
  });

  it("resolves a target removed from the configuration the same way", async () => {
    const { time, notifier, results } = setup();
    notifier.firing.recordTransitions([down(time, 1000)]);
    await answered(results, 1);
    await time.advance(30_000);
    notifier.firing.recordTransitions([
      transition({ from: "down", to: "unknown", at: time.now(), reason: "removed" }),
    ]);
    await answered(results, 2);
    expect(posts[1]?.[0]).toMatchObject({
      labels: ROOT_LABELS,
      endsAt: iso(time.now()),
      annotations: { end_reason: "removed", duration: "31s", duration_seconds: "31" },
    });
    expect(notifier.firingTargets()).toEqual([]);
    await notifier.stop();
  });

  it("on an attribution change resolves the old alert and fires the new one from the same start", async () => {
    const { time, notifier, results } = setup();
    const start = time.now() - 80_000;
    notifier.firing.recordTransitions([dependant(time, "autogate-cgk", 80_000)]);
    await answered(results, 1);
    await time.advance(20_000);
    notifier.firing.reattribute([{ targetId: "autogate-cgk", blockedBy: null, at: time.now() }]);
    await answered(results, 2);
    const [old, fresh] = posts[1]!;
    expect(old).toMatchObject({
      labels: { severity: "info", blocked_by: "simkim-core", root_target: "simkim-core" },
      startsAt: iso(start),
      endsAt: iso(time.now()),
      annotations: { end_reason: "reattributed" },
    });
    expect(old?.annotations).not.toHaveProperty("duration");
    expect(fresh?.labels).toMatchObject({ severity: "critical", root_target: "autogate-cgk" });
    expect(fresh?.labels).not.toHaveProperty("blocked_by");
    expect(fresh?.startsAt).toBe(iso(start));
    expect(fresh?.endsAt).toBe(iso(time.now() + 4 * MIN));
    notifier.firing.reattribute([{ targetId: "autogate-cgk", blockedBy: null, at: time.now() }]);
    notifier.firing.reattribute([{ targetId: "simkim-core", blockedBy: "x", at: time.now() }]);
    await quiet();
    expect(posts).toHaveLength(2);
    await notifier.stop();
  });
});
