/** Firing, resending and held pages, as Alertmanager receives them. */
import { describe, expect, it } from "vitest";
import type { FakeTime } from "../support/time.js";
import { until } from "../support/until.js";
import {
  answered,
  dependant,
  down,
  iso,
  MIN,
  posts,
  quiet,
  ROOT_LABELS,
  SETTINGS,
  setup,
  transition,
  useFakeAlertmanager,
} from "./alertmanager-fixture.js";

useFakeAlertmanager();

describe("alerts to Alertmanager: firing", () => {
  it("posts a root outage as a page, startsAt the first failed probe, leased for 4 resends", async () => {
    const { time, notifier, results } = setup();
    const start = time.now() - 90_000;
    notifier.firing.recordTransitions([down(time, 90_000)]);
    await answered(results, 1);
    expect(posts).toEqual([
      [
        {
          labels: ROOT_LABELS,
          annotations: {
            summary: "SIMKIM core (simkim-core) is down",
            description: `simkim-core down since ${iso(start)} (connect_refused: connection refused)`,
          },
          startsAt: "2024-06-19T23:58:30.000Z",
          endsAt: iso(time.now() + 4 * MIN),
        },
      ],
    ]);
    expect(results).toEqual(["ok"]);
    await notifier.stop();
  });

  it("posts blocked dependants as info with blocked_by and the root's root_target, in one POST", async () => {
    const { time, notifier, results } = setup();
    notifier.firing.recordTransitions([
      down(time, 90_000),
      dependant(time, "autogate-cgk", 80_000),
      dependant(time, "autogate-dps", 70_000),
    ]);
    await answered(results, 1);
    expect(posts).toHaveLength(1);
    const [root, cgk, dps] = posts[0]!;
    expect(root?.labels.severity).toBe("critical");
    expect(cgk).toEqual({
      labels: {
        team: "sre-imigrasi",
        alertname: "PantauTargetDown",
        target: "autogate-cgk",
        service: "autogate",
        site: "cgk",
        instance: "jakarta-1",
        severity: "info",
        root_target: "simkim-core",
        blocked_by: "simkim-core",
      },
      annotations: {
        summary: "Autogate CGK (autogate-cgk) is down",
        description: `autogate-cgk down since ${iso(time.now() - 80_000)} (http_status: HTTP 502), blocked by simkim-core`,
      },
      startsAt: iso(time.now() - 80_000),
      endsAt: iso(time.now() + 4 * MIN),
    });
    expect(dps?.labels).toMatchObject({ target: "autogate-dps", blocked_by: "simkim-core" });
    await notifier.stop();
  });

  it("never lets configured labels replace its own, and leaves empty ones out", async () => {
    const settings = { ...SETTINGS, labels: { team: "sre", severity: "low", alertname: "X" } };
    const { time, notifier, results } = setup({ settings });
    notifier.firing.recordTransitions([down(time, 1000, { site: "" })]);
    await answered(results, 1);
    const labels = posts[0]?.[0]?.labels;
    expect(labels).toMatchObject({
      team: "sre",
      severity: "critical",
      alertname: "PantauTargetDown",
    });
    expect(labels).not.toHaveProperty("site");
    await notifier.stop();
  });

  it("posts nothing for an outage that starts in maintenance, nor for its end", async () => {
    const { time, notifier } = setup();
    notifier.firing.recordTransitions([down(time, 1000, { maintenance: true })]);
    await time.advance(5 * MIN);
    notifier.firing.recordTransitions([transition({ from: "down", to: "up", at: time.now() })]);
    await quiet();
    expect(posts).toEqual([]);
    expect(notifier.firingTargets()).toEqual([]);
    await notifier.stop();
  });
});

describe("alerts to Alertmanager: resending", () => {
  it("resends every `resend` with the same labels and startsAt and a renewed lease", async () => {
    const { time, notifier, results } = setup();
    notifier.firing.recordTransitions([down(time, 90_000)]);
    await answered(results, 1);
    await time.advance(MIN - 1);
    await quiet();
    expect(posts).toHaveLength(1);
    await time.advance(1);
    await answered(results, 2);
    await time.advance(MIN);
    await answered(results, 3);
    const [first, second, third] = posts.map((post) => post[0]!);
    for (const resent of [second, third]) {
      expect(resent?.labels).toEqual(first?.labels);
      expect(resent?.startsAt).toBe(first?.startsAt);
    }
    expect(Date.parse(third!.endsAt) - Date.parse(first!.endsAt)).toBe(2 * MIN);
    await notifier.stop();
  });

  it("keeps one timer for all alerts and resends none sooner than `resend` after its last post", async () => {
    const { time, notifier, results } = setup();
    notifier.firing.recordTransitions([down(time, 1000)]);
    await answered(results, 1);
    await time.advance(MIN / 2);
    notifier.firing.recordTransitions([dependant(time, "autogate-cgk", 1000)]);
    await answered(results, 2);
    expect(time.pendingTimers).toBe(1);
    const sentAt = new Map<string, number[]>();
    const record = () => {
      const target = posts.at(-1)?.[0]?.labels.target ?? "";
      sentAt.set(target, [...(sentAt.get(target) ?? []), time.now()]);
    };
    for (let step = 0; step < 8; step++) {
      const before = posts.length;
      await time.advance(MIN / 4);
      await quiet();
      if (posts.length > before) record();
      expect(time.pendingTimers).toBeLessThanOrEqual(1);
    }
    // each post carries exactly one alert: the two are out of phase and never batched early
    expect(posts.slice(2).every((post) => post.length === 1)).toBe(true);
    for (const times of sentAt.values()) {
      for (let i = 1; i < times.length; i++) {
        expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(MIN);
      }
    }
    expect([...sentAt.keys()].sort()).toEqual(["autogate-cgk", "simkim-core"]);
    await notifier.stop();
  });
});

describe("alerts to Alertmanager: a page waiting for its upstream's verdict", () => {
  /** A dependant's own →down whose page waits for the core. */
  const held = (time: FakeTime, agoMs: number) =>
    down(time, agoMs, {
      targetId: "autogate-cgk",
      service: "autogate",
      site: "cgk",
      waitingOn: ["simkim-core"],
    });

  it("posts nothing while held; released as its own outage, pages with its true start", async () => {
    const { time, notifier, results } = setup();
    notifier.firing.recordTransitions([held(time, 30_000)]);
    await quiet();
    expect(posts).toEqual([]);
    expect(notifier.heldTargets()).toEqual(["autogate-cgk"]);
    const start = time.now() - 30_000;
    await time.advance(20_000);
    notifier.firing.holdsChanged([{ targetId: "autogate-cgk", waitingOn: [] }]);
    await until(() => results.length === 1, { what: "the released page's post" });
    expect(posts[0]?.map((a) => [a.labels.target, a.labels.severity, a.startsAt])).toEqual([
      ["autogate-cgk", "critical", iso(start)],
    ]);
    expect(notifier.heldTargets()).toEqual([]);
    await notifier.stop();
  });

  it("released as blocked (its upstream went down), posts it as info, never as a page", async () => {
    const { time, notifier, results } = setup();
    notifier.firing.recordTransitions([held(time, 30_000)]);
    notifier.firing.recordTransitions([down(time, 35_000)]);
    notifier.firing.reattribute([
      { targetId: "autogate-cgk", at: time.now(), blockedBy: "simkim-core" },
    ]);
    notifier.firing.holdsChanged([{ targetId: "autogate-cgk", waitingOn: [] }]);
    await until(() => posts.flat().length === 2, {
      what: "the core's page and the dependant's info",
    });
    expect(posts.flat().map((a) => [a.labels.target, a.labels.severity])).toEqual([
      ["simkim-core", "critical"],
      ["autogate-cgk", "info"],
    ]);
    expect(results.every((r) => r === "ok")).toBe(true);
    await notifier.stop();
  });

  it("an outage over before the verdict came was never paged: nothing to post", async () => {
    const { time, notifier } = setup();
    notifier.firing.recordTransitions([held(time, 30_000)]);
    notifier.firing.recordTransitions([
      transition({ targetId: "autogate-cgk", from: "down", to: "up", at: time.now() }),
    ]);
    notifier.firing.holdsChanged([{ targetId: "autogate-cgk", waitingOn: [] }]);
    await quiet();
    expect(posts).toEqual([]);
    expect(notifier.heldTargets()).toEqual([]);
    await notifier.stop();
  });

  it("a hold narrowed to fewer upstreams keeps waiting", async () => {
    const { time, notifier } = setup();
    notifier.firing.recordTransitions([
      { ...held(time, 30_000), waitingOn: ["dns", "simkim-core"] },
    ]);
    notifier.firing.holdsChanged([{ targetId: "autogate-cgk", waitingOn: ["simkim-core"] }]);
    await quiet();
    expect(posts).toEqual([]);
    expect(notifier.heldTargets()).toEqual(["autogate-cgk"]);
    await notifier.stop();
  });
});
