import { describe, expect, it } from "vitest";
import { type PlayerEvent, ScenarioPlayer } from "../../src/sim/player.js";
import type { ScenarioStep } from "../../src/sim/scenario.js";
import { FakeTime } from "../support/time.js";

const START = Date.UTC(2024, 5, 20, 0, 0, 0);
const HOUR = 3_600_000;

const step = (atMs: number, note: string): ScenarioStep => ({ atMs, note, switches: [] });

const STEPS = [
  step(0, "core down"),
  step(60_000, "gates manual"),
  step(60_000, "portal down"),
  step(48 * HOUR, "core back"),
  step(72 * HOUR + 1, "dps back"),
];

interface Played {
  applied: { note: string; at: number }[];
  events: PlayerEvent[];
  player: ScenarioPlayer;
  outcome: Promise<string>;
}

function play(time: FakeTime, speed: number, apply?: (s: ScenarioStep) => Promise<void>): Played {
  const applied: { note: string; at: number }[] = [];
  const player = new ScenarioPlayer({
    steps: STEPS,
    speed,
    clock: time,
    timers: time,
    apply:
      apply ??
      (async (s) => {
        applied.push({ note: s.note, at: time.now() - START });
      }),
  });
  const events: PlayerEvent[] = [];
  player.on((event) => events.push(event));
  return { applied, events, player, outcome: player.play() };
}

describe("ScenarioPlayer", () => {
  it.each([
    [1, [0, 60_000, 60_000, 48 * HOUR, 72 * HOUR + 1]],
    [60, [0, 1000, 1000, 48 * 60_000, 72 * 60_000]],
    [3600, [0, 17, 17, 48_000, 72_000]],
  ])("at speed %d applies each step at its offset / speed, in order", async (speed, times) => {
    const time = new FakeTime(START);
    const { applied, events, outcome } = play(time, speed);
    await time.advance(Math.max(...times) + 1);
    expect(applied).toEqual(STEPS.map((s, i) => ({ note: s.note, at: times[i] })));
    expect(await outcome).toBe("finished");
    expect(events.map((e) => e.type)).toEqual(["step", "step", "step", "step", "step", "finished"]);
    expect(events.filter((e) => e.type === "step").map((e) => e.dueMs)).toEqual(times);
    expect(events.at(-1)).toEqual({ type: "finished", at: START + (times.at(-1) ?? 0) });
    expect(time.pendingTimers).toBe(0);
  });

  it("applies nothing before a step is due", async () => {
    const time = new FakeTime(START);
    const { applied } = play(time, 3600);
    await time.advance(16);
    expect(applied.map((a) => a.note)).toEqual(["core down"]);
    await time.advance(1);
    expect(applied.map((a) => a.note)).toEqual(["core down", "gates manual", "portal down"]);
  });

  it("keeps to the start's schedule when applying takes time (no drift)", async () => {
    const time = new FakeTime(START);
    const appliedAt: number[] = [];
    const slowApply = async () => {
      appliedAt.push(time.now() - START);
      await new Promise<void>((resolve) => time.setTimeout(resolve, 5));
    };
    const { events, outcome } = play(time, 3600, slowApply);
    await time.advance(80_000);
    expect(await outcome).toBe("finished");
    expect(appliedAt).toEqual([0, 17, 22, 48_000, 72_000]);
    const steps = events.flatMap((e) => (e.type === "step" ? [e.appliedAt - START] : []));
    expect(steps).toEqual([5, 22, 27, 48_005, 72_005]);
  });

  it("stops: later steps never run and play() resolves stopped", async () => {
    const time = new FakeTime(START);
    const { applied, outcome, player } = play(time, 3600);
    await time.advance(20);
    player.stop();
    await time.advance(100_000);
    expect(applied.map((a) => a.note)).toEqual(["core down", "gates manual", "portal down"]);
    expect(await outcome).toBe("stopped");
    expect(time.pendingTimers).toBe(0);
  });

  it("a step that fails ends the play as failed", async () => {
    const time = new FakeTime(START);
    const failing = async (s: ScenarioStep) => {
      if (s.note === "core back") throw new Error("cannot listen on 127.0.0.1:19400 (EADDRINUSE)");
    };
    const { events, outcome } = play(time, 3600, failing);
    await time.advance(100_000);
    expect(await outcome).toBe("failed");
    expect(events.map((e) => e.type)).toEqual(["step", "step", "step", "failed"]);
    expect(events.at(-1)).toMatchObject({ index: 3, step: { note: "core back" } });
  });

  it.each([
    [1, 360_000],
    [3600, 100],
  ])(
    "at speed %d applies a slow answer's 6m delay as %dms (scenario time, like offsets)",
    async (speed, delayMs) => {
      const time = new FakeTime(START);
      const slow = { behaviour: "degraded", mode: "slow", delayMs: 360_000 } as const;
      const steps: ScenarioStep[] = [
        {
          atMs: 0,
          note: "slow",
          switches: [
            { target: "evisa", behaviour: slow },
            { target: "m-paspor", behaviour: { behaviour: "up" } },
          ],
        },
      ];
      const applied: ScenarioStep[] = [];
      const events: PlayerEvent[] = [];
      const player = new ScenarioPlayer({
        steps,
        speed,
        clock: time,
        timers: time,
        apply: async (s) => {
          applied.push(s);
        },
      });
      player.on((e) => events.push(e));
      const outcome = player.play();
      await time.advance(1);
      expect(await outcome).toBe("finished");
      expect(applied[0]?.switches).toEqual([
        { target: "evisa", behaviour: { ...slow, delayMs } },
        { target: "m-paspor", behaviour: { behaviour: "up" } },
      ]);
      // what is reported is the step as written
      expect(events[0]).toMatchObject({ type: "step", step: steps[0] });
    },
  );

  it("rejects a speed that is not positive", () => {
    const time = new FakeTime(START);
    const options = { steps: STEPS, clock: time, timers: time, apply: async () => undefined };
    expect(() => new ScenarioPlayer({ ...options, speed: 0 })).toThrow("speed must be > 0, got 0");
  });
});
