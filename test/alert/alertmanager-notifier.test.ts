import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AlertmanagerSettings } from "../../src/config/types.js";
import type { CommittedTransition } from "../../src/engine/engine.js";
import { AlertmanagerNotifier } from "../../src/expose/alertmanager.js";
import type { AlertmanagerAlert } from "../../src/expose/alertmanager-payload.js";
import { memoryLogger } from "../support/memory-log.js";
import { FakeTime } from "../support/time.js";
import { until } from "../support/until.js";

const URL_BASE = "http://alertmanager.test:9093";
const SETTINGS: AlertmanagerSettings = {
  url: URL_BASE,
  resend: 60_000,
  labels: { team: "sre-imigrasi" },
};
const NAMES: Record<string, string> = {
  "simkim-core": "SIMKIM core",
  "autogate-cgk": "Autogate CGK",
  "autogate-dps": "Autogate DPS",
};
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** What the fake Alertmanager answers next; `hold` keeps a request open until released. */
type Answer = { status: number } | { hold: Promise<void> } | "network-error";

let posts: AlertmanagerAlert[][] = [];
let answers: Answer[] = [];
const server = setupServer(
  http.post(`${URL_BASE}/api/v2/alerts`, async ({ request }) => {
    posts.push((await request.json()) as AlertmanagerAlert[]);
    const answer = answers.shift() ?? { status: 200 };
    if (answer === "network-error") return HttpResponse.error();
    if ("hold" in answer) await answer.hold;
    return new HttpResponse(null, { status: "status" in answer ? answer.status : 200 });
  }),
);

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  posts = [];
  answers = [];
});
afterAll(() => server.close());

function setup(options: { settings?: AlertmanagerSettings; maxQueued?: number } = {}) {
  const time = new FakeTime();
  const log = memoryLogger("info");
  const results: ("ok" | "error")[] = [];
  const notifier = new AlertmanagerNotifier({
    settings: options.settings ?? SETTINGS,
    instance: "jakarta-1",
    clock: time,
    timers: time,
    targetName: (id) => NAMES[id],
    onPost: (result) => results.push(result),
    logger: log.logger,
    fetch: (input, init) => globalThis.fetch(input, init),
    random: () => 0.5,
    maxQueued: options.maxQueued,
  });
  const count = (result: "ok" | "error") => results.filter((r) => r === result).length;
  return { time, log, results, notifier, count };
}

let nextId = 1;
function transition(fields: Partial<CommittedTransition>): CommittedTransition {
  return {
    id: nextId++,
    runId: 1,
    instance: "jakarta-1",
    targetId: "simkim-core",
    service: "immigration-core",
    site: "pdns2",
    from: "up",
    to: "down",
    at: 0,
    detectedAt: 0,
    reason: "connect_refused",
    detail: "connection refused",
    blockedBy: null,
    maintenance: false,
    previousProbeAt: null,
    outageStart: null,
    waitingOn: [],
    ...fields,
  };
}

/** A →down of `targetId` whose first failed probe started `agoMs` before now. */
function down(time: FakeTime, agoMs: number, fields: Partial<CommittedTransition> = {}) {
  return transition({ at: time.now() - agoMs, detectedAt: time.now(), ...fields });
}

function dependant(time: FakeTime, targetId: string, agoMs: number): CommittedTransition {
  return down(time, agoMs, {
    targetId,
    service: "autogate",
    site: targetId.slice(-3),
    reason: "http_status",
    detail: "HTTP 502",
    blockedBy: "simkim-core",
  });
}

/** Real time (msw answers on a later turn) for `count` posts in all to have been answered. */
const answered = (results: unknown[], count: number) =>
  until(() => results.length === count, {
    what: `${count} answered posts`,
    timeoutMs: 3000,
    intervalMs: 2,
  });

/** Real time for any request that was going to happen to arrive (and not). */
async function quiet(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 30));
}

const ROOT_LABELS = {
  team: "sre-imigrasi",
  alertname: "PantauTargetDown",
  target: "simkim-core",
  service: "immigration-core",
  site: "pdns2",
  instance: "jakarta-1",
  severity: "page",
  root_target: "simkim-core",
};

describe("AlertmanagerNotifier: firing", () => {
  it("posts a root outage as a page, startsAt the first failed probe, leased for 4 resends", async () => {
    const { time, notifier, results } = setup();
    const start = time.now() - 90_000;
    notifier.transitionsCommitted([down(time, 90_000)]);
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
    notifier.transitionsCommitted([
      down(time, 90_000),
      dependant(time, "autogate-cgk", 80_000),
      dependant(time, "autogate-dps", 70_000),
    ]);
    await answered(results, 1);
    expect(posts).toHaveLength(1);
    const [root, cgk, dps] = posts[0]!;
    expect(root?.labels.severity).toBe("page");
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
    notifier.transitionsCommitted([down(time, 1000, { site: "" })]);
    await answered(results, 1);
    const labels = posts[0]?.[0]?.labels;
    expect(labels).toMatchObject({ team: "sre", severity: "page", alertname: "PantauTargetDown" });
    expect(labels).not.toHaveProperty("site");
    await notifier.stop();
  });

  it("posts nothing for an outage that starts in maintenance, nor for its end", async () => {
    const { time, notifier } = setup();
    notifier.transitionsCommitted([down(time, 1000, { maintenance: true })]);
    await time.advance(5 * MIN);
    notifier.transitionsCommitted([transition({ from: "down", to: "up", at: time.now() })]);
    await quiet();
    expect(posts).toEqual([]);
    expect(notifier.firingTargets()).toEqual([]);
    await notifier.stop();
  });
});

describe("AlertmanagerNotifier: resending", () => {
  it("resends every `resend` with the same labels and startsAt and a renewed lease", async () => {
    const { time, notifier, results } = setup();
    notifier.transitionsCommitted([down(time, 90_000)]);
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
    notifier.transitionsCommitted([down(time, 1000)]);
    await answered(results, 1);
    await time.advance(MIN / 2);
    notifier.transitionsCommitted([dependant(time, "autogate-cgk", 1000)]);
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

describe("AlertmanagerNotifier: resolving", () => {
  it("resolves on recovery with endsAt, the human duration and seconds, and stops resending", async () => {
    const { time, notifier, results } = setup();
    const outageMs = ((2 * 24 + 4) * 60 + 13) * MIN;
    // the outage began long before; fake time must not race real I/O over thousands of resends
    const start = time.now() - outageMs + 30_000;
    notifier.transitionsCommitted([down(time, outageMs - 30_000)]);
    await answered(results, 1);
    await time.advance(30_000);
    const before = posts.length;
    const recovery = transition({ from: "down", to: "up", at: start + outageMs, reason: null });
    notifier.transitionsCommitted([recovery]);
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
    notifier.transitionsCommitted([down(time, 1000)]);
    await answered(results, 1);
    await time.advance(10_000);
    const end = time.now() - 5000;
    notifier.transitionsCommitted([
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
    notifier.transitionsCommitted([down(time, 1000)]);
    await answered(results, 1);
    await time.advance(30_000);
    notifier.transitionsCommitted([
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
    notifier.transitionsCommitted([dependant(time, "autogate-cgk", 80_000)]);
    await answered(results, 1);
    await time.advance(20_000);
    notifier.attributionChanged("autogate-cgk", null, time.now());
    await answered(results, 2);
    const [old, fresh] = posts[1]!;
    expect(old).toMatchObject({
      labels: { severity: "info", blocked_by: "simkim-core", root_target: "simkim-core" },
      startsAt: iso(start),
      endsAt: iso(time.now()),
      annotations: { end_reason: "reattributed" },
    });
    expect(old?.annotations).not.toHaveProperty("duration");
    expect(fresh?.labels).toMatchObject({ severity: "page", root_target: "autogate-cgk" });
    expect(fresh?.labels).not.toHaveProperty("blocked_by");
    expect(fresh?.startsAt).toBe(iso(start));
    expect(fresh?.endsAt).toBe(iso(time.now() + 4 * MIN));
    notifier.attributionChanged("autogate-cgk", null, time.now());
    notifier.attributionChanged("simkim-core", "x", time.now());
    await quiet();
    expect(posts).toHaveLength(2);
    await notifier.stop();
  });
});

describe("AlertmanagerNotifier: delivery", () => {
  it("retries 503s with exponential backoff, counting every attempt", async () => {
    const { time, notifier, results, count, log } = setup();
    answers = [{ status: 503 }, { status: 503 }];
    notifier.transitionsCommitted([down(time, 1000)]);
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
    answers = ["network-error", { status: 429 }];
    notifier.transitionsCommitted([down(time, 1000)]);
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
    answers = [{ status: 400 }];
    notifier.transitionsCommitted([down(time, 1000)]);
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
    answers = [{ hold: new Promise<void>((resolve) => (release = resolve)) }];
    const returned = notifier.transitionsCommitted([down(time, 1000)]);
    expect(returned).toBeUndefined();
    await until(() => posts.length === 1, { what: "a post", timeoutMs: 3000, intervalMs: 2 });
    notifier.transitionsCommitted([dependant(time, "autogate-cgk", 1000)]);
    notifier.transitionsCommitted([dependant(time, "autogate-dps", 1000)]);
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
    notifier.transitionsCommitted([
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
    notifier.transitionsCommitted([down(time, 1000)]);
    await answered(results, 1);
    await notifier.stop();
    expect(time.pendingTimers).toBe(0);
    notifier.transitionsCommitted([dependant(time, "autogate-cgk", 1000)]);
    await time.advance(5 * MIN);
    await quiet();
    expect(posts).toHaveLength(1);
  });
});

describe("AlertmanagerNotifier: a page waiting for its upstream's verdict", () => {
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
    notifier.transitionsCommitted([held(time, 30_000)]);
    await quiet();
    expect(posts).toEqual([]);
    expect(notifier.heldTargets()).toEqual(["autogate-cgk"]);
    const start = time.now() - 30_000;
    await time.advance(20_000);
    notifier.pageHoldsChanged([{ targetId: "autogate-cgk", waitingOn: [] }]);
    await until(() => results.length === 1, { what: "the released page's post" });
    expect(posts[0]?.map((a) => [a.labels.target, a.labels.severity, a.startsAt])).toEqual([
      ["autogate-cgk", "page", iso(start)],
    ]);
    expect(notifier.heldTargets()).toEqual([]);
    await notifier.stop();
  });

  it("released as blocked (its upstream went down), posts it as info, never as a page", async () => {
    const { time, notifier, results } = setup();
    notifier.transitionsCommitted([held(time, 30_000)]);
    notifier.transitionsCommitted([down(time, 35_000)]);
    notifier.attributionsCommitted([
      { targetId: "autogate-cgk", at: time.now(), blockedBy: "simkim-core" },
    ]);
    notifier.pageHoldsChanged([{ targetId: "autogate-cgk", waitingOn: [] }]);
    await until(() => posts.flat().length === 2, {
      what: "the core's page and the dependant's info",
    });
    expect(posts.flat().map((a) => [a.labels.target, a.labels.severity])).toEqual([
      ["simkim-core", "page"],
      ["autogate-cgk", "info"],
    ]);
    expect(results.every((r) => r === "ok")).toBe(true);
    await notifier.stop();
  });

  it("an outage over before the verdict came was never paged: nothing to post", async () => {
    const { time, notifier } = setup();
    notifier.transitionsCommitted([held(time, 30_000)]);
    notifier.transitionsCommitted([
      transition({ targetId: "autogate-cgk", from: "down", to: "up", at: time.now() }),
    ]);
    notifier.pageHoldsChanged([{ targetId: "autogate-cgk", waitingOn: [] }]);
    await quiet();
    expect(posts).toEqual([]);
    expect(notifier.heldTargets()).toEqual([]);
    await notifier.stop();
  });

  it("a hold narrowed to fewer upstreams keeps waiting", async () => {
    const { time, notifier } = setup();
    notifier.transitionsCommitted([{ ...held(time, 30_000), waitingOn: ["dns", "simkim-core"] }]);
    notifier.pageHoldsChanged([{ targetId: "autogate-cgk", waitingOn: ["simkim-core"] }]);
    await quiet();
    expect(posts).toEqual([]);
    expect(notifier.heldTargets()).toEqual(["autogate-cgk"]);
    await notifier.stop();
  });
});
