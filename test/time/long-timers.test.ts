import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_STEP_MS, systemTimers } from "../../src/time/clock.js";

/** Node fires a timer past 2^31 − 1 ms after 1 ms; pantau's timers wait such delays in steps. */
describe("system timers past Node's limit", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const DAY = 86_400_000;

  it("fire once, at the delay (a monthly schedule: 31 days), no Node timer past its limit", () => {
    const armed = vi.spyOn(globalThis, "setTimeout");
    const fired = vi.fn();
    systemTimers.setTimeout(fired, 31 * DAY);
    vi.advanceTimersByTime(MAX_TIMER_STEP_MS);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(31 * DAY - MAX_TIMER_STEP_MS - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(365 * DAY);
    expect(fired).toHaveBeenCalledTimes(1);
    // Node would have fired a longer one after 1 ms
    const delays = armed.mock.calls.map((call) => call[1] ?? 0);
    expect(delays).toEqual([MAX_TIMER_STEP_MS, 31 * DAY - MAX_TIMER_STEP_MS]);
  });

  it("are cleared in any step, and unref'd across steps", () => {
    const fired = vi.fn();
    const handle = systemTimers.setTimeout(fired, 60 * DAY);
    expect(handle.unref?.()).toBe(handle);
    vi.advanceTimersByTime(30 * DAY);
    systemTimers.clearTimeout(handle);
    vi.advanceTimersByTime(60 * DAY);
    expect(fired).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("leave shorter delays to Node as they are", () => {
    const fired = vi.fn();
    systemTimers.setTimeout(fired, 1000);
    vi.advanceTimersByTime(1000);
    expect(fired).toHaveBeenCalledTimes(1);
  });
});
