import { WALL_CLOCK_JUMP_MS } from "../time/wall-clock-watch.js";
import type { AlertNotice } from "./channel.js";
import type { OutageAlert } from "./outage-alert.js";
import type { AlertUpdate } from "./update-queue.js";

/**
 * PURE: an alert's times as the receiver must read them — on the wall clock as it is when the
 * alert goes out. Alertmanager compares `endsAt` with its own clock (firing while it is ahead,
 * resolved once passed) and refuses `endsAt` before `startsAt`. The ledger's times are kept on
 * the base the outage started on (so its length is what the monotonic clock measured), and that
 * base can be hours off the clock after a step: sent as recorded, a resolve could lie in the
 * receiver's future (still firing) and a start after the lease's end (refused). So each time is
 * moved by the step since it was recorded (its monotonic time read on today's wall clock), and
 * never put after the moment of sending.
 */

/** The wall clock as it reads when a delivery goes out, and its offset (wall − monotonic). */
export interface SendingClock {
  now: number;
  offset: number;
}

/** Reads the clock: what a delivery's notices are built with. */
export function sendingClock(clock: { now(): number; monotonic(): number }): SendingClock {
  const now = clock.now();
  return { now, offset: now - clock.monotonic() };
}

/**
 * `at`, recorded on the base `wallOffset`, on the sending clock: moved by the step between the
 * two (drift below a step is left, as the engine leaves it), and never after now. Without a
 * known base (an outage restored after a restart) it is read as recorded.
 */
export function onSendingClock(
  at: number,
  wallOffset: number | undefined,
  clock: SendingClock,
): number {
  const step = wallOffset === undefined ? 0 : clock.offset - wallOffset;
  const moved = Math.abs(step) > WALL_CLOCK_JUMP_MS ? at + step : at;
  return Math.min(moved, clock.now);
}

/**
 * What one update says as it goes out. Firing: the start on the sending clock, a lease from now.
 * Resolved: the end on the sending clock, and the start the outage's recorded length before
 * it — the receiver sees the length the ledger has, and a start never after the end.
 */
export function noticeOf(update: AlertUpdate, clock: SendingClock): AlertNotice {
  if (update.kind === "resolve") {
    const { outage, end } = update;
    const at = onSendingClock(end.at, end.wallOffset, clock);
    const start = at - Math.max(0, end.at - outage.start);
    return { status: "resolved", outage: startingAt(outage, start), end: { ...end, at } };
  }
  const start = onSendingClock(update.outage.start, update.outage.wallOffset, clock);
  return {
    status: "firing",
    outage: startingAt(update.outage, start),
    leaseUntil: clock.now + update.leaseMs,
  };
}

function startingAt(outage: OutageAlert, start: number): OutageAlert {
  return start === outage.start ? outage : { ...outage, start };
}
