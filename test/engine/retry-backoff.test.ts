import { describe, expect, it } from "vitest";
import { RetryBackoff } from "../../src/engine/retry-backoff.js";
import { FakeTime } from "../support/time.js";

/** Retries of a failing write: when each runs, as delays after the failure that scheduled it. */
async function retryDelays(failures: readonly ("fail" | "ok")[], first: number, max: number) {
  const time = new FakeTime();
  const backoff = new RetryBackoff(time, first, max);
  const delays: number[] = [];
  for (const outcome of failures) {
    if (outcome === "ok") {
      backoff.succeeded();
      continue;
    }
    const from = time.monotonic();
    let ranAt = Number.NaN;
    backoff.schedule(() => {
      ranAt = time.monotonic();
    });
    await time.advance(max * 2);
    delays.push(ranAt - from);
  }
  return delays;
}

describe("RetryBackoff", () => {
  it.each([
    {
      name: "doubles to its cap",
      outcomes: ["fail", "fail", "fail", "fail"],
      first: 1000,
      max: 5000,
      delays: [1000, 2000, 4000, 5000],
    },
    {
      name: "starts again after a success",
      outcomes: ["fail", "fail", "ok", "fail"],
      first: 1000,
      max: 30_000,
      delays: [1000, 2000, 1000],
    },
    {
      name: "a cap below the first delay keeps the first",
      outcomes: ["fail", "fail"],
      first: 1000,
      max: 500,
      delays: [1000, 1000],
    },
  ] as const)("$name", async ({ outcomes, first, max, delays }) => {
    expect(await retryDelays(outcomes, first, max)).toEqual(delays);
  });

  it("keeps one retry waiting, and a cancelled one never runs", async () => {
    const time = new FakeTime();
    const backoff = new RetryBackoff(time, 1000, 5000);
    let runs = 0;
    backoff.schedule(() => runs++);
    backoff.schedule(() => runs++);
    expect(backoff.pending).toBe(true);
    await time.advance(1000);
    expect(runs).toBe(1);
    expect(backoff.pending).toBe(false);
    backoff.schedule(() => runs++);
    backoff.cancel();
    await time.advance(10_000);
    expect(runs).toBe(1);
  });
});
