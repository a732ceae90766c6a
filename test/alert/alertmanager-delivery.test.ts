/** Delivery to Alertmanager: retries, refusals, one post in flight, a bounded queue, restarts. */
import { describe, expect, it } from "vitest";
import { until } from "../support/until.js";
import {
  answered,
  answers,
  dependant,
  down,
  iso,
  MIN,
  posts,
  quiet,
  setup,
  transition,
  useFakeAlertmanager,
} from "./alertmanager-fixture.js";

useFakeAlertmanager();

describe("alerts to Alertmanager: delivery", () => {
  it("retries 503s with exponential backoff, counting every attempt", async () => {
    const { time, notifier, results, count, log } = setup();
    answers.push({ status: 503 }, { status: 503 });
    notifier.firing.recordTransitions([down(time, 1000)]);
    await answered(results, 1);
    await time.advance(999);
    await quiet();
    expect(posts).toHaveLength(1);
    await time.advance(1);
    await answered(results, 2);
    await time.advance(1999);
    await quiet();
    expect(posts).toHaveLength(2);
    await time.advance(1);
    await answered(results, 3);
    expect({ error: count("error"), ok: count("ok") }).toEqual({ error: 2, ok: 1 });
    expect(posts[2]?.[0]).toEqual({ ...posts[0]?.[0], endsAt: iso(time.now() + 4 * MIN) });
    const warnings = log.lines.filter((line) => line.event === "alertmanager_post_failed");
    expect(warnings.map((line) => line.retry_in_ms)).toEqual([1000, 2000]);
    await notifier.stop();
  });

  it("retries network errors and 429 too", async () => {
    const { time, notifier, results, count } = setup();
    answers.push("network-error", { status: 429 });
    notifier.firing.recordTransitions([down(time, 1000)]);
    await answered(results, 1);
    await time.advance(1000);
    await answered(results, 2);
    await time.advance(2000);
    await answered(results, 3);
    expect({ error: count("error"), ok: count("ok") }).toEqual({ error: 2, ok: 1 });
    await notifier.stop();
  });

  it("does not retry a 400, and logs it once", async () => {
    const { time, notifier, results, log } = setup();
    answers.push({ status: 400 });
    notifier.firing.recordTransitions([down(time, 1000)]);
    await answered(results, 1);
    await time.advance(MIN - 1);
    await quiet();
    expect(posts).toHaveLength(1);
    expect(results).toEqual(["error"]);
    const rejected = log.lines.filter((line) => line.event === "alertmanager_rejected");
    expect(rejected).toHaveLength(1);
    await notifier.stop();
  });

  it("never makes the caller wait for a post, and keeps one post in flight", async () => {
    const { time, notifier, results } = setup();
    let release = () => {};
    answers.push({ hold: new Promise<void>((resolve) => (release = resolve)) });
    const returned = notifier.firing.recordTransitions([down(time, 1000)]);
    expect(returned).toBeUndefined();
    await until(() => posts.length === 1, { what: "a post", timeoutMs: 3000, intervalMs: 2 });
    notifier.firing.recordTransitions([dependant(time, "autogate-cgk", 1000)]);
    notifier.firing.recordTransitions([dependant(time, "autogate-dps", 1000)]);
    await quiet();
    expect(posts).toHaveLength(1);
    expect(results).toEqual([]);
    release();
    await answered(results, 2);
    expect(posts.map((post) => post.map((alert) => alert.labels.target))).toEqual([
      ["simkim-core"],
      ["autogate-cgk", "autogate-dps"],
    ]);
    await notifier.stop();
  });

  it("bounds the queue, dropping the oldest and logging it", async () => {
    const { time, notifier, results, log } = setup({ maxQueued: 2 });
    notifier.firing.recordTransitions([
      down(time, 1000),
      dependant(time, "autogate-cgk", 1000),
      dependant(time, "autogate-dps", 1000),
    ]);
    await answered(results, 1);
    expect(posts[0]?.map((alert) => alert.labels.target)).toEqual(["autogate-cgk", "autogate-dps"]);
    const overflow = log.lines.filter((line) => line.event === "alertmanager_queue_overflow");
    expect(overflow.map((line) => line.dropped)).toEqual([1]);
    await notifier.stop();
  });

  it("re-arms alerts of outages still open after a restart, skipping maintenance", async () => {
    const { time, notifier, results } = setup();
    const latest = [
      down(time, 30 * MIN),
      transition({ targetId: "autogate-cgk", from: "down", to: "up", at: time.now() - MIN }),
      down(time, 5 * MIN, { targetId: "autogate-dps", maintenance: true }),
    ];
    notifier.restore(latest);
    notifier.restore(latest);
    await answered(results, 1);
    expect(posts[0]?.map((alert) => [alert.labels.target, alert.startsAt])).toEqual([
      ["simkim-core", iso(time.now() - 30 * MIN)],
    ]);
    expect(notifier.firingTargets()).toEqual(["simkim-core"]);
    await notifier.stop();
  });

  it("stops: no timers left, nothing posted after", async () => {
    const { time, notifier, results } = setup();
    notifier.firing.recordTransitions([down(time, 1000)]);
    await answered(results, 1);
    await notifier.stop();
    expect(time.pendingTimers).toBe(0);
    notifier.firing.recordTransitions([dependant(time, "autogate-cgk", 1000)]);
    await time.advance(5 * MIN);
    await quiet();
    expect(posts).toHaveLength(1);
  });
});
