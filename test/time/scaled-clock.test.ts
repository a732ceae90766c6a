import { describe, expect, it } from "vitest";
import type { TimerHandle, Timers } from "../../src/time/clock.js";
import { ScaledClock } from "../../src/time/scaled-clock.js";
import { FakeTime } from "../support/time.js";

const START = Date.UTC(2024, 5, 19, 16, 0, 0);
const HOUR = 3_600_000;

/** The underlying timers, each firing `lateMs` after it is due (a busy event loop). */
function lateTimers(time: FakeTime, lateMs: number): Timers {
  return {
    setTimeout: (callback, delayMs): TimerHandle => time.setTimeout(callback, delayMs + lateMs),
    clearTimeout: (handle) => time.clearTimeout(handle),
  };
}

function scaled(
  rate: number,
  lateMs = 0,
  maxCatchUpMs?: number,
): { time: FakeTime; clock: ScaledClock } {
  const time = new FakeTime();
  const timers = lateMs === 0 ? time : lateTimers(time, lateMs);
  const options = { clock: time, timers, startAt: START, rate };
  return {
    time,
    clock: new ScaledClock(maxCatchUpMs === undefined ? options : { ...options, maxCatchUpMs }),
  };
}

/** Sets a timer per delay; each records the scaled reading its callback saw. */
function record(clock: ScaledClock, delays: readonly number[]): number[] {
  const seen: number[] = [];
  for (const delay of delays) clock.timers.setTimeout(() => seen.push(clock.monotonic()), delay);
  return seen;
}

describe("ScaledClock readings", () => {
  it.each([
    // rate, underlying ms, scaled ms
    [1, 1000, 1000],
    [3600, 1000, HOUR],
    [3600, 0.25, 900],
    [0.5, 3, 1],
    [0, 5000, 0],
  ])("at ×%d, %d underlying ms read as %d scaled ms", async (rate, underlying, expected) => {
    const { time, clock } = scaled(rate);
    await time.advance(underlying);
    expect(clock.monotonic()).toBe(expected);
    expect(clock.now()).toBe(START + expected);
  });

  it("keeps wall − monotonic constant through rate changes and holds", async () => {
    const { time, clock } = scaled(3600);
    const offsets = new Set<number>();
    const look = () => offsets.add(clock.now() - clock.monotonic());
    look();
    await time.advance(7.3);
    look();
    clock.setRate(12_345);
    await time.advance(1.1);
    look();
    await clock.hold(async () => {
      await time.advance(50);
      look();
    });
    await time.advance(2);
    look();
    expect([...offsets]).toEqual([START]);
  });

  it("never reads back, and reads whole milliseconds", async () => {
    const { time, clock } = scaled(7.7);
    const readings: number[] = [];
    for (let i = 0; i < 50; i++) {
      await time.advance(0.37);
      if (i === 20) clock.setRate(1.3);
      readings.push(clock.monotonic());
    }
    expect(readings.every((r) => Number.isInteger(r))).toBe(true);
    expect(readings).toEqual([...readings].sort((a, b) => a - b));
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("refuses rate %d", (rate) => {
    expect(() => scaled(rate)).toThrow(
      new RangeError(`a clock rate must be a finite number ≥ 0, got ${rate}`),
    );
    const { clock } = scaled(1);
    expect(() => clock.setRate(rate)).toThrow(RangeError);
  });
});

describe("ScaledClock timers", () => {
  it.each([
    // rate, underlying lateness, delays (scaled ms)
    [3600, 0, [HOUR, 30 * 60_000, 2 * HOUR]],
    [3600, 7, [HOUR, 30 * 60_000, 2 * HOUR]],
    [1, 0, [5, 1, 3]],
    [14_400, 3, [60_000, 60_001, 60_002]],
  ])(
    "at ×%d, underlying timers %dms late: each callback reads its due time, in order",
    async (rate, late, delays) => {
      const { time, clock } = scaled(rate, late);
      const seen = record(clock, delays);
      await time.advance(Math.max(...delays) / rate + 10 * late + 1);
      expect(seen).toEqual([...delays].sort((a, b) => a - b));
      expect(clock.pendingTimers).toBe(0);
    },
  );

  it("fires no earlier than the scaled due time: one underlying ms short, nothing", async () => {
    const { time, clock } = scaled(3600);
    const seen = record(clock, [HOUR]);
    await time.advance(999);
    expect(seen).toEqual([]);
    await time.advance(1);
    expect(seen).toEqual([HOUR]);
  });

  it("never reads past a timer that has not fired, however late it fires", async () => {
    // the underlying timer fires 40 ms late: 40 scaled seconds at ×1000
    const { time, clock } = scaled(1000, 40);
    const seen = record(clock, [10_000]);
    await time.advance(30);
    expect(clock.monotonic()).toBe(10_000);
    expect(seen).toEqual([]);
    await time.advance(20);
    expect(seen).toEqual([10_000]);
    // afterwards the clock catches up with the underlying time
    expect(clock.monotonic()).toBe(50_000);
  });

  it.each([
    // max catch-up, underlying ms each timer fires at, reading at underlying 100 ms
    [undefined, [50, 50], 100_000],
    [60_000, [50, 50], 100_000],
    // the 40 s behind beyond 1 s are dropped at each late timer: the replay slows down
    [1000, [50, 99], 22_000],
  ])(
    "timers 40 underlying ms late at ×1000, catching up at most %s: fire at %o, read %d at 100",
    async (maxCatchUp, firedAt, after) => {
      const { time, clock } = scaled(1000, 40, maxCatchUp);
      const seen: [number, number][] = [];
      for (const delay of [10_000, 20_000]) {
        clock.timers.setTimeout(() => seen.push([clock.monotonic(), time.monotonic()]), delay);
      }
      await time.advance(100);
      expect(seen).toEqual([
        [10_000, firedAt[0]],
        [20_000, firedAt[1]],
      ]);
      expect(clock.monotonic()).toBe(after);
    },
  );

  it("counts a delay from the latest reading, so read-then-set lands exactly", async () => {
    const { time, clock } = scaled(3.3);
    await time.advance(10.1);
    const read = clock.monotonic();
    const seen = record(clock, [1000]);
    await time.advance(400);
    expect(seen).toEqual([read + 1000]);
  });

  it("a cleared timer does not fire; the others still do", async () => {
    const { time, clock } = scaled(10);
    const seen: string[] = [];
    const first = clock.timers.setTimeout(() => seen.push("first"), 100);
    clock.timers.setTimeout(() => seen.push("second"), 200);
    clock.timers.clearTimeout(first);
    await time.advance(30);
    expect(seen).toEqual(["second"]);
  });

  it("a timer set from a callback with no delay fires at the same reading, after it", async () => {
    const { time, clock } = scaled(100);
    const seen: [string, number][] = [];
    clock.timers.setTimeout(() => {
      seen.push(["outer", clock.monotonic()]);
      clock.timers.setTimeout(() => seen.push(["inner", clock.monotonic()]), 0);
    }, 500);
    await time.advance(10);
    expect(seen).toEqual([
      ["outer", 500],
      ["inner", 500],
    ]);
  });
});

describe("ScaledClock rate changes", () => {
  it.each([
    // rate before, underlying ms until the change, rate after, delay, underlying ms it fires at
    { before: 3600, changeAt: 500, after: 7200, delay: HOUR, firesAt: 750 },
    { before: 3600, changeAt: 500, after: 1800, delay: HOUR, firesAt: 1500 },
    { before: 1000, changeAt: 2, after: 1, delay: 10_000, firesAt: 2 + 8000 },
  ])(
    "a timer pending across ×$before → ×$after fires at its scaled time",
    async ({ before, changeAt, after, delay, firesAt }) => {
      const { time, clock } = scaled(before);
      const seen: [number, number][] = [];
      clock.timers.setTimeout(() => seen.push([clock.monotonic(), time.monotonic()]), delay);
      await time.advance(changeAt);
      clock.setRate(after);
      await time.advance(firesAt - changeAt - 1);
      expect(seen).toEqual([]);
      await time.advance(1);
      expect(seen).toEqual([[delay, firesAt]]);
    },
  );

  it("a pause (rate 0) holds every timer; resuming fires them at their scaled times", async () => {
    const { time, clock } = scaled(100);
    const seen = record(clock, [1000, 3000]);
    await time.advance(5);
    clock.setRate(0);
    await time.advance(60_000);
    expect(seen).toEqual([]);
    expect(clock.monotonic()).toBe(500);
    clock.setRate(50);
    await time.advance(10);
    expect(seen).toEqual([1000]);
    await time.advance(40);
    expect(seen).toEqual([1000, 3000]);
  });

  it("changes made by timers themselves (a pace plan) play each stretch at its rate", async () => {
    const { time, clock } = scaled(3600);
    // fast from 1h to 5h, slow again after: 1 s + 1 s + 1 s of underlying time for 6 h
    clock.timers.setTimeout(() => clock.setRate(4 * 3600), HOUR);
    clock.timers.setTimeout(() => clock.setRate(3600), 5 * HOUR);
    const seen = record(clock, [30 * 60_000, 3 * HOUR, 6 * HOUR]);
    await time.advance(3000);
    expect(seen).toEqual([30 * 60_000, 3 * HOUR, 6 * HOUR]);
    expect(clock.monotonic()).toBe(6 * HOUR);
  });
});

describe("ScaledClock.hold", () => {
  it("stops the clock while the work runs; underlying time spent is not scaled time", async () => {
    const { time, clock } = scaled(1000);
    const seen = record(clock, [5000]);
    await time.advance(2);
    const during: number[] = [];
    await clock.hold(async () => {
      during.push(clock.monotonic());
      await time.advance(100);
      during.push(clock.monotonic());
    });
    expect(during).toEqual([2000, 2000]);
    expect(seen).toEqual([]);
    await time.advance(2);
    expect(clock.monotonic()).toBe(4000);
    await time.advance(1);
    expect(seen).toEqual([5000]);
  });

  it("a timer's callback that takes hold keeps the timers due after it waiting", async () => {
    // both underlying-late: the step at 1000 and a probe slot at 1001 come due in one round
    const { time, clock } = scaled(1000, 5);
    const order: string[] = [];
    let release: () => void = () => undefined;
    clock.timers.setTimeout(() => {
      order.push(`step ${clock.monotonic()}`);
      void clock.hold(() => new Promise<void>((resolve) => (release = resolve)));
    }, 1000);
    clock.timers.setTimeout(() => order.push(`slot ${clock.monotonic()}`), 1001);
    await time.advance(20);
    expect(order).toEqual(["step 1000"]);
    release();
    await time.advance(10);
    expect(order).toEqual(["step 1000", "slot 1001"]);
  });
});
