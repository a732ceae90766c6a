/** until(), the suite's one polling helper (test/support/until.ts). */
import { describe, expect, it } from "vitest";
import { until } from "../support/until.js";

describe("until", () => {
  it("resolves with the condition's first truthy value", async () => {
    let tries = 0;
    const value = await until(() => (++tries === 3 ? { tries } : null), { what: "a third try" });
    expect(value).toEqual({ tries: 3 });
  });

  it("fails naming what it waited for and for how long", async () => {
    await expect(until(() => false, { what: "portal to be down", timeoutMs: 30 })).rejects.toThrow(
      new Error("timed out after 30 ms waiting for portal to be down"),
    );
  });

  it("counts a throwing condition as not yet, and names the last error", async () => {
    const condition = () => {
      throw new Error("ECONNREFUSED");
    };
    await expect(until(condition, { what: "the server", timeoutMs: 30 })).rejects.toThrow(
      new Error("timed out after 30 ms waiting for the server; last error: ECONNREFUSED"),
    );
  });

  it("gives up at once when `failed` says why", async () => {
    const started = performance.now();
    await expect(
      until(() => false, { what: "ready", timeoutMs: 10_000, failed: () => "it exited (code 1)" }),
    ).rejects.toThrow(new Error("gave up waiting for ready: it exited (code 1)"));
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("runs `step` between tries instead of sleeping", async () => {
    let clock = 0;
    await until(() => clock >= 5, { what: "five steps", step: async () => void clock++ });
    expect(clock).toBe(5);
  });
});
