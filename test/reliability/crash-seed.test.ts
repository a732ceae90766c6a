import { describe, expect, it } from "vitest";
import { crashSeed } from "./crash-harness.js";

describe("CRASH_SEED", () => {
  it("replays the given seed, or draws one", () => {
    expect(crashSeed("1234")).toBe(1234);
    expect(crashSeed(undefined, () => 0.5)).toBe(500_000);
    expect(crashSeed("", () => 0)).toBe(0);
  });

  it.each(["x", "-1", "1.5"])("rejects %s", (text) => {
    expect(() => crashSeed(text)).toThrow(`CRASH_SEED="${text}" is not a non-negative integer`);
  });
});
