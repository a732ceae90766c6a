/**
 * Alert times across wall-clock steps: each goes out on the wall clock as it reads when sent,
 * so Alertmanager (which reads `endsAt` on its own clock and refuses an end before the start)
 * keeps a firing alert exactly its lease, resolves a recovered one at once, and never sees an
 * end before a start.
 */
import { describe, expect, it } from "vitest";
import {
  alertmanagerAlert,
  firingAlert,
  resolvedAlert,
} from "../../src/alert/alertmanager-payload.js";
import { FiringAlerts } from "../../src/alert/firing.js";
import type { OutageAlert } from "../../src/alert/outage-alert.js";
import { noticeOf, onSendingClock, type SendingClock } from "../../src/alert/sending-clock.js";
import type { AlertUpdate } from "../../src/alert/update-queue.js";
import { CLOCK_STEPS, HOUR, OUTAGE, steppedOutage } from "../support/stepped-outage.js";
import { FakeTime } from "../support/time.js";

const T = Date.UTC(2024, 5, 20, 3, 12, 0);
const MIN = 60_000;
const LEASE = 4 * MIN;
const SETTINGS = { url: "http://127.0.0.1:1", resend: MIN, labels: {} };
const iso = (ms: number) => new Date(ms).toISOString();

describe("onSendingClock", () => {
  const clock: SendingClock = { now: T, offset: 5_000_000 };
  it.each([
    {
      case: "its base unknown (restored): as recorded",
      at: T - MIN,
      base: undefined,
      sent: T - MIN,
    },
    { case: "the same base: as recorded", at: T - MIN, base: clock.offset, sent: T - MIN },
    {
      case: "drift of 1 s since: as recorded",
      at: T - MIN,
      base: clock.offset + 1000,
      sent: T - MIN,
    },
    {
      case: "stepped back 2 h since: 2 h earlier",
      at: T + 2 * HOUR - MIN,
      base: clock.offset + 2 * HOUR,
      sent: T - MIN,
    },
    {
      case: "stepped on 2 h since: 2 h later",
      at: T - 2 * HOUR - MIN,
      base: clock.offset - 2 * HOUR,
      sent: T - MIN,
    },
    { case: "after the sending clock's now: now", at: T + MIN, base: undefined, sent: T },
  ])("reads a time recorded with $case", ({ at, base, sent }) => {
    expect(onSendingClock(at, base, clock)).toBe(sent);
  });
});

/** Fires on the outage's committed →down and resolves on its →up, as the daemon does. */
function updatesOf(steps: Awaited<ReturnType<typeof steppedOutage>>) {
  const updates: AlertUpdate[] = [];
  const time = new FakeTime();
  const firing = new FiringAlerts({
    instance: "jakarta-1",
    resendMs: MIN,
    clock: time,
    timers: time,
    targetName: (id) => id,
    outbox: { put: (_key, update) => updates.push(update), isWaiting: () => false },
  });
  firing.recordTransitions([steps.down.transition]);
  firing.recordTransitions([steps.up.transition]);
  firing.stop();
  const [fire, resolve] = updates;
  if (fire?.kind !== "fire" || resolve?.kind !== "resolve") throw new Error("no fire and resolve");
  return { fire, resend: { ...fire, kind: "resend" as const }, resolve };
}

describe("Alertmanager payloads across wall-clock steps", () => {
  it.each(CLOCK_STEPS)(
    "$name: fire, resend and resolve on the sending clock, the end never before the start",
    async (steps) => {
      const outage = await steppedOutage(steps);
      const { fire, resend, resolve } = updatesOf(outage);
      const sent = (update: AlertUpdate, clock: SendingClock) =>
        alertmanagerAlert(noticeOf(update, clock), SETTINGS);
      // the outage's true start and end, read on the clock that sends each alert
      const startOn = (clock: SendingClock) => iso(OUTAGE.startMs + clock.offset);
      const fired = sent(fire, outage.down.clock);
      expect([fired.startsAt, fired.endsAt]).toEqual([
        startOn(outage.down.clock),
        iso(outage.down.clock.now + LEASE),
      ]);
      const resent = sent(resend, outage.afterStep);
      expect([resent.startsAt, resent.endsAt]).toEqual([
        startOn(outage.afterStep),
        iso(outage.afterStep.now + LEASE),
      ]);
      const resolved = sent(resolve, outage.up.clock);
      expect([resolved.startsAt, resolved.endsAt]).toEqual([
        startOn(outage.up.clock),
        iso(OUTAGE.endMs + outage.up.clock.offset),
      ]);
      expect(resolved.annotations.duration_seconds).toBe("6");
      // a resolve in the receiver's past: Alertmanager treats it as resolved now
      expect(Date.parse(resolved.endsAt)).toBeLessThanOrEqual(outage.up.clock.now);
    },
  );
});

describe("an alert's interval as Alertmanager takes it", () => {
  const outage: OutageAlert = {
    targetId: "simkim-core",
    targetName: "SIMKIM core",
    service: "immigration-core",
    site: "pdns2",
    instance: "jakarta-1",
    start: T,
    reason: "refused",
    detail: null,
    blockedBy: null,
  };
  it.each([
    { case: "firing, lease after the start", start: T, end: T + LEASE, startsAt: T },
    {
      case: "firing, start after the lease",
      start: T + 2 * HOUR,
      end: T + LEASE,
      startsAt: T + LEASE,
    },
    { case: "resolved, end after the start", start: T, end: T + 6000, startsAt: T },
    {
      case: "resolved, start after the end",
      start: T + 2 * HOUR,
      end: T + 6000,
      startsAt: T + 6000,
    },
  ])("$case: endsAt as given, startsAt never after it", ({ case: name, start, end, startsAt }) => {
    const alert = name.startsWith("firing")
      ? firingAlert({ ...outage, start }, SETTINGS, end)
      : resolvedAlert({ ...outage, start }, SETTINGS, { at: end, reason: "recovered" });
    expect([alert.startsAt, alert.endsAt]).toEqual([iso(startsAt), iso(end)]);
  });
});
