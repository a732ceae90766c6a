import { describe, expect, it } from "vitest";
import { phaseOffset } from "../../src/schedule/hash.js";
import { type SchedulePlan, Scheduler, type SkipCause } from "../../src/schedule/scheduler.js";
import { FakeTime } from "../support/time.js";

const T0 = Date.UTC(2024, 5, 20, 0, 0, 0);

interface Recorded {
  starts: { id: string; at: number; mono: number; plannedAt: number }[];
  lags: { id: string; lagMs: number }[];
  skips: { id: string; cause: SkipCause }[];
}

function harness(options: {
  maxInFlight?: number;
  probeMs?: (id: string) => number;
  start?: number;
}) {
  const time = new FakeTime(options.start ?? T0);
  const recorded: Recorded = { starts: [], lags: [], skips: [] };
  const scheduler = new Scheduler({
    clock: time,
    timers: time,
    maxInFlight: options.maxInFlight ?? 1000,
    runProbe: (id, plannedAt) => {
      recorded.starts.push({ id, at: time.now(), mono: time.monotonic(), plannedAt });
      const ms = options.probeMs?.(id) ?? 100;
      return new Promise<void>((resolve) => time.setTimeout(resolve, ms));
    },
    observer: {
      probeStarted: (id, lagMs) => recorded.lags.push({ id, lagMs }),
      slotSkipped: (id, cause) => recorded.skips.push({ id, cause }),
    },
  });
  return { time, scheduler, recorded };
}

const every = (ms: number): SchedulePlan => ({ kind: "interval", intervalMs: ms });

describe("Scheduler", () => {
  it("probes on an epoch grid shifted by the id's stable phase, without drift", async () => {
    const { time, scheduler, recorded } = harness({});
    scheduler.upsert("portal-imigrasi", every(10_000));
    scheduler.start();
    await time.advance(45_000);
    const offset = phaseOffset("portal-imigrasi", 10_000);
    const first = Math.ceil((T0 - offset) / 10_000) * 10_000 + offset;
    const expected = [0, 1, 2, 3, 4]
      .map((k) => first + k * 10_000)
      .filter((at) => at <= T0 + 45_000);
    expect(recorded.starts.map((s) => s.at)).toEqual(expected);
    expect(recorded.lags.every((l) => l.lagMs === 0)).toBe(true);
  });

  it("keeps each target's phase across restarts at different times", async () => {
    const phases: number[][] = [];
    for (const start of [T0, T0 + 3_333, T0 + 77_777]) {
      const { time, scheduler, recorded } = harness({ start });
      for (const id of ["a", "b", "autogate-cgk"]) scheduler.upsert(id, every(10_000));
      scheduler.start();
      await time.advance(10_000);
      phases.push(
        ["a", "b", "autogate-cgk"].map((id) => {
          const s = recorded.starts.find((x) => x.id === id);
          return (s?.at ?? -1) % 10_000;
        }),
      );
    }
    expect(phases[1]).toEqual(phases[0]);
    expect(phases[2]).toEqual(phases[0]);
  });

  it("spreads first runs of 2,000 targets evenly over the interval", async () => {
    const { time, scheduler, recorded } = harness({});
    for (let i = 0; i < 2000; i++) scheduler.upsert(`target-${i}`, every(10_000));
    scheduler.start();
    await time.advance(9_999);
    expect(recorded.starts).toHaveLength(2000);
    const perSecond = new Array<number>(10).fill(0);
    for (const s of recorded.starts) {
      const bucket = Math.floor((s.at - T0) / 1000);
      perSecond[Math.min(9, bucket)]! += 1;
    }
    // 200 per second on average; a bunched schedule would put hundreds in one bucket.
    expect(Math.max(...perSecond)).toBeLessThan(260);
    expect(Math.min(...perSecond)).toBeGreaterThan(140);
  });

  it("skips and counts slots that come due while the previous probe still runs", async () => {
    const { time, scheduler, recorded } = harness({ probeMs: () => 25_000 });
    scheduler.upsert("slow", every(10_000));
    scheduler.start();
    await time.advance(10_000 + 35_000);
    const first = recorded.starts[0]!.at;
    expect(recorded.starts.map((s) => s.at - first)).toEqual([0, 30_000]);
    expect(recorded.skips).toEqual([
      { id: "slow", cause: "overrun" },
      { id: "slow", cause: "overrun" },
    ]);
  });

  it("holds probes beyond max_in_flight in FIFO order and measures their wait as lag", async () => {
    const { time, scheduler, recorded } = harness({ maxInFlight: 1, probeMs: () => 400 });
    // Cron slots make the three targets due at the same instant.
    for (const id of ["a", "b", "c"]) {
      scheduler.upsert(id, { kind: "cron", pattern: "*/10 * * * * *" });
    }
    scheduler.start();
    await time.advance(11_000);
    expect(recorded.starts.map((s) => s.id)).toEqual(["a", "b", "c"]);
    expect(recorded.lags.map((l) => l.lagMs)).toEqual([0, 400, 800]);
    const slot = T0 + 10_000;
    expect(recorded.starts.map((s) => s.plannedAt)).toEqual([slot, slot, slot]);
  });

  it("fires croner schedules with seconds on their exact times", async () => {
    const { time, scheduler, recorded } = harness({ start: T0 + 1 });
    scheduler.upsert("cron", { kind: "cron", pattern: "*/20 * * * * *" });
    scheduler.start();
    await time.advance(60_000);
    expect(recorded.starts.map((s) => s.at - T0)).toEqual([20_000, 40_000, 60_000]);
  });

  it("keeps an unchanged plan's schedule, re-plans a changed one, forgets a removed one", async () => {
    const { time, scheduler, recorded } = harness({});
    scheduler.upsert("keep", every(10_000));
    scheduler.upsert("change", every(10_000));
    scheduler.upsert("drop", every(10_000));
    scheduler.start();
    await time.advance(10_000);
    recorded.starts.length = 0;
    scheduler.upsert("keep", every(10_000));
    scheduler.upsert("change", every(5_000));
    scheduler.remove("drop");
    await time.advance(20_000);
    const count = (id: string) => recorded.starts.filter((s) => s.id === id).length;
    expect(count("keep")).toBe(2);
    expect(count("change")).toBe(4);
    expect(count("drop")).toBe(0);
    expect(scheduler.size).toBe(2);
  });

  it("does not let thousands of hung targets delay healthy ones", async () => {
    const { time, scheduler, recorded } = harness({
      maxInFlight: 10_000,
      probeMs: (id) => (id.startsWith("hung") ? 9_000 : 20),
    });
    for (let i = 0; i < 3000; i++) scheduler.upsert(`hung-${i}`, every(10_000));
    for (let i = 0; i < 50; i++) scheduler.upsert(`healthy-${i}`, every(10_000));
    scheduler.start();
    await time.advance(60_000);
    const healthy = recorded.lags.filter((l) => l.id.startsWith("healthy"));
    expect(healthy.length).toBeGreaterThanOrEqual(50 * 5);
    expect(Math.max(...healthy.map((l) => l.lagMs))).toBe(0);
    expect(recorded.skips).toEqual([]);
  });

  const HOUR = 3_600_000;
  it.each([
    { jump: +HOUR, plan: every(10_000) },
    { jump: -HOUR, plan: every(10_000) },
    { jump: +HOUR, plan: { kind: "cron", pattern: "*/10 * * * * *" } as SchedulePlan },
    { jump: -HOUR, plan: { kind: "cron", pattern: "*/10 * * * * *" } as SchedulePlan },
  ])(
    "keeps probing every 10 s of real time across a wall-clock jump of $jump ms ($plan.kind)",
    async ({ jump, plan }) => {
      const { time, scheduler, recorded } = harness({});
      scheduler.upsert("portal", plan);
      scheduler.start();
      await time.advance(25_000);
      time.jumpWall(jump);
      await time.advance(60_000);
      const monos = recorded.starts.map((s) => s.mono);
      // neither an hour of silence (backward) nor a burst of an hour's slots (forward)
      expect(monos.slice(1).map((m, i) => m - monos[i]!)).toEqual(
        new Array(monos.length - 1).fill(10_000),
      );
      expect(monos.length).toBeGreaterThanOrEqual(8);
      expect(time.monotonic() - monos.at(-1)!).toBeLessThanOrEqual(10_000);
      // lag is measured on the monotonic clock: a jump is not an hour late
      expect(recorded.lags.every((l) => l.lagMs === 0)).toBe(true);
      // the slot's wall time reads the clock as it is now
      const last = recorded.starts.at(-1)!;
      expect(last.plannedAt).toBe(last.at);
    },
  );

  it("stop() plans nothing more and resolves when the probes in flight end", async () => {
    const { time, scheduler, recorded } = harness({ probeMs: () => 3_000 });
    scheduler.upsert("a", { kind: "cron", pattern: "*/10 * * * * *" });
    scheduler.start();
    await time.advance(10_000);
    expect(recorded.starts).toHaveLength(1);
    expect(scheduler.inFlight).toBe(1);
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await time.advance(1_000);
    expect(stopped).toBe(false);
    await time.advance(2_000);
    await stopping;
    expect(stopped).toBe(true);
    await time.advance(30_000);
    expect(recorded.starts).toHaveLength(1);
  });

  it("ends a probe that rejects like one that resolves: no overrun, the next slot runs", async () => {
    const time = new FakeTime(T0);
    const starts: number[] = [];
    const skips: SkipCause[] = [];
    const scheduler = new Scheduler({
      clock: time,
      timers: time,
      maxInFlight: 1,
      runProbe: () => {
        starts.push(time.now());
        return Promise.reject(new Error("a prober bug"));
      },
      observer: { slotSkipped: (_id, cause) => skips.push(cause) },
    });
    scheduler.upsert("flaky", every(1_000));
    scheduler.start();
    await time.advance(3_500);
    expect(starts).toHaveLength(3);
    expect(skips).toEqual([]);
    expect(scheduler.inFlight).toBe(0);
  });
});
