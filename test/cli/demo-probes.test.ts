import { describe, expect, it } from "vitest";
import { ProbesOnTheirWay } from "../../src/cli/demo-probes.js";
import { FakeTime } from "../support/time.js";

describe("ProbesOnTheirWay", () => {
  it("is settled at once when no probe is on its way", async () => {
    const probes = new ProbesOnTheirWay(new FakeTime());
    expect(await probes.settled(1000)).toBe(true);
  });

  it("settles when the last probe on its way arrives or ends, not before", async () => {
    const time = new FakeTime();
    const probes = new ProbesOnTheirWay(time);
    probes.started("simkim-core");
    probes.started("autogate-mdc");
    let settled: boolean | null = null;
    void probes.settled(1000).then((outcome) => {
      settled = outcome;
    });
    probes.arrived("simkim-core");
    await time.advance(10);
    expect(settled).toBeNull();
    expect(probes.count).toBe(1);
    // a target not on its way (an answer arriving late) changes nothing
    probes.arrived("evisa");
    await time.advance(10);
    expect(settled).toBeNull();
    probes.arrived("autogate-mdc");
    await time.advance(0);
    expect(settled).toBe(true);
    expect(time.pendingTimers).toBe(0);
  });

  it("gives up after its bound, so a lost request never stops the replay", async () => {
    const time = new FakeTime();
    const probes = new ProbesOnTheirWay(time);
    probes.started("autogate-kno");
    const outcome = probes.settled(2000);
    await time.advance(1999);
    probes.started("autogate-kno");
    await time.advance(1);
    expect(await outcome).toBe(false);
  });
});
