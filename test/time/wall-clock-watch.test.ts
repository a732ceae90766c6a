import { describe, expect, it } from "vitest";
import { WallClockWatch } from "../../src/time/wall-clock-watch.js";
import { FakeTime } from "../support/time.js";

describe("WallClockWatch", () => {
  it.each([
    { step: 3_600_000, reported: [3_600_000] },
    { step: -3_600_000, reported: [-3_600_000] },
    { step: 1_500, reported: [1_500] },
    // NTP-sized corrections are not steps
    { step: 900, reported: [] },
    { step: -1_000, reported: [] },
  ])("reports a step of $step ms once: $reported", async ({ step, reported }) => {
    const time = new FakeTime();
    const watch = new WallClockWatch(time);
    const seen: number[] = [];
    const check = () => {
      const jump = watch.check();
      if (jump) seen.push(jump.jumpMs);
    };
    await time.advance(10_000);
    check();
    time.jumpWall(step);
    for (let i = 0; i < 5; i++) {
      check();
      await time.advance(10_000);
    }
    expect(seen).toEqual(reported);
  });

  it("follows slow slewing between checks instead of adding it up to a false step", async () => {
    const time = new FakeTime();
    const watch = new WallClockWatch(time);
    let jumps = 0;
    // 0.5 s of slew per check, 20 checks: 10 s in all, never more than 1 s at once
    for (let i = 0; i < 20; i++) {
      await time.advance(60_000);
      time.jumpWall(500);
      if (watch.check()) jumps++;
    }
    expect(jumps).toBe(0);
  });
});
