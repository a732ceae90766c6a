import { describe, expect, it } from "vitest";
import { RecordedOffsets } from "../../src/engine/recorded-offsets.js";

const down = { targetId: "core", to: "down" as const, at: 1000 };
const up = { targetId: "core", to: "up" as const, at: 7000 };

describe("RecordedOffsets", () => {
  it.each([
    { case: "each committed in order", noted: [down, up], taken: [down, up], offsets: [-5, -7] },
    {
      case: "one never committed (refused, dropped)",
      noted: [down, up],
      taken: [up],
      offsets: [-7],
    },
    { case: "one not decided here (adopted)", noted: [], taken: [down], offsets: [undefined] },
    {
      case: "an `at` other than queued",
      noted: [down],
      taken: [{ ...down, at: 1001 }],
      offsets: [undefined],
    },
    { case: "taken twice", noted: [down], taken: [down, down], offsets: [-5, undefined] },
  ])("gives back the offset a transition was queued with: $case", ({ noted, taken, offsets }) => {
    const recorded = new RecordedOffsets();
    for (const t of noted) recorded.note(t.targetId, t.to, t.at, t.to === "down" ? -5 : -7);
    expect(taken.map((t) => recorded.take(t))).toEqual(offsets);
  });

  it("forgets a target's queued decisions when they are dropped", () => {
    const recorded = new RecordedOffsets();
    recorded.note("core", "down", 1000, -5);
    recorded.forget("core");
    expect(recorded.take(down)).toBeUndefined();
  });
});
