import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  EarlySignals,
  EXIT_GRACE_MS,
  type SignalBounds,
  untilStopped,
} from "../../src/cli/stop-signals.js";
import { memoryLogger } from "../support/memory-log.js";

/**
 * The last resorts of `pantau run`'s signals, on fake time: a stop that never finishes and a
 * start that never finishes are ended with exit 1 once their bound has passed, never before.
 * (test/cli/start-signal.test.ts runs the real CLI through a start that hangs.)
 */
const BOUND_MS = 3000;

function harness() {
  const log = memoryLogger("info");
  const signals = new EventEmitter();
  const exits: number[] = [];
  const bounds: SignalBounds = {
    logger: log.logger,
    stopTimeoutMs: BOUND_MS,
    signals,
    exit: (code) => exits.push(code),
    // the fake timers move Date on; performance.now they leave alone
    now: () => Date.now(),
  };
  const events = () => log.lines.map((line) => line.event);
  return { log, signals, exits, bounds, events };
}

/** A daemon whose stop ends as `stop` says (never, when it returns a promise that never settles). */
function daemonWith(stop: () => Promise<void>) {
  return { stop: vi.fn(stop), reload: vi.fn(async () => undefined) };
}

const never = () => new Promise<void>(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("untilStopped", () => {
  it("logs a SIGHUP reload that throws, as an error line, and keeps running", async () => {
    const { signals, exits, bounds, log } = harness();
    const daemon = {
      stop: vi.fn(() => Promise.resolve()),
      reload: vi.fn(() => Promise.reject(new Error("LEDGER_CLOSED: ledger is closed"))),
    };
    const stopped = untilStopped(daemon, bounds, new EarlySignals(bounds));
    signals.emit("SIGHUP", "SIGHUP");
    await vi.advanceTimersByTimeAsync(0);
    expect(daemon.reload).toHaveBeenCalledTimes(1);
    expect(log.lines.find((line) => line.event === "reload_failed")).toMatchObject({
      level: 50,
      msg: "config reload failed",
      err: { message: "LEDGER_CLOSED: ledger is closed" },
    });
    signals.emit("SIGTERM", "SIGTERM");
    expect(await stopped).toBe(0);
    expect(exits).toEqual([]);
  });

  it("ends a stop that never finishes with exit 1 and stop_overrun, at its bound + the grace and not before", async () => {
    const { signals, exits, bounds, log } = harness();
    const daemon = daemonWith(never);
    const stopped = untilStopped(daemon, bounds, new EarlySignals(bounds));
    signals.emit("SIGTERM", "SIGTERM");
    expect(daemon.stop).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(BOUND_MS + EXIT_GRACE_MS - 1);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    expect(log.lines.find((line) => line.event === "stop_overrun")).toMatchObject({
      level: 60,
      bound_ms: BOUND_MS,
      stopped: false,
      msg: "stop overran its bound",
    });
    void stopped;
  });

  it.each([
    ["finishes", (): Promise<void> => Promise.resolve(), 0, ["signal"]],
    [
      "fails (something lost)",
      (): Promise<void> => Promise.reject(new Error("lost")),
      1,
      ["signal", "stop_error"],
    ],
  ] as const)(
    "a stop that %s resolves with its exit code at once; a process that then lingers is ended with it",
    async (_, stop, code, logged) => {
      const { signals, exits, bounds, events, log } = harness();
      const stopped = untilStopped(daemonWith(stop), bounds, new EarlySignals(bounds));
      signals.emit("SIGINT", "SIGINT");
      expect(await stopped).toBe(code);
      expect(events()).toEqual(logged);
      // the real process ends here by itself (the timer is unref'd); one held open is ended
      await vi.advanceTimersByTimeAsync(BOUND_MS + EXIT_GRACE_MS - 1);
      expect(exits).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(exits).toEqual([code]);
      expect(log.lines.at(-1)).toMatchObject({
        event: "stop_overrun",
        stopped: true,
        msg: "stopped, but the process did not end within its bound",
      });
    },
  );

  it("reloads on SIGHUP, and no longer once stopping", async () => {
    const { signals, bounds } = harness();
    const daemon = daemonWith(never);
    void untilStopped(daemon, bounds, new EarlySignals(bounds));
    signals.emit("SIGHUP", "SIGHUP");
    expect(daemon.reload).toHaveBeenCalledTimes(1);
    signals.emit("SIGTERM", "SIGTERM");
    signals.emit("SIGHUP", "SIGHUP");
    expect(daemon.reload).toHaveBeenCalledTimes(1);
    // the second SIGTERM is left to the process: its default action ends it at once
    expect(signals.listenerCount("SIGTERM")).toBe(0);
  });
});

describe("EarlySignals (a stop asked for during the start)", () => {
  it("ends a start that never finishes with exit 1 and start_overrun, stop-timeout after the signal", async () => {
    const { signals, exits, bounds, log } = harness();
    new EarlySignals(bounds);
    await vi.advanceTimersByTimeAsync(60_000); // a slow start: no signal, no bound
    signals.emit("SIGTERM", "SIGTERM");
    expect(log.lines.at(-1)).toMatchObject({ event: "signal", signal: "SIGTERM", starting: true });
    await vi.advanceTimersByTimeAsync(BOUND_MS - 1);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    expect(log.lines.at(-1)).toMatchObject({
      level: 60,
      event: "start_overrun",
      signal: "SIGTERM",
      bound_ms: BOUND_MS,
      msg: `the start did not finish within ${BOUND_MS} ms of SIGTERM: exiting`,
    });
  });

  it("a start that finishes in time hands the stop over with what is left of its bound: a clean stop", async () => {
    const { signals, exits, bounds, events } = harness();
    const early = new EarlySignals(bounds);
    signals.emit("SIGTERM", "SIGTERM");
    signals.emit("SIGINT", "SIGINT");
    await vi.advanceTimersByTimeAsync(BOUND_MS - 1000);
    const daemon = daemonWith(async () => undefined);
    expect(await untilStopped(daemon, bounds, early)).toBe(0);
    expect(daemon.stop).toHaveBeenCalledTimes(1);
    expect(daemon.stop).toHaveBeenCalledWith(1000);
    expect(events()).toEqual(["signal", "signal"]);
    // the bound runs from the signal: a process still held open is ended 1 s + the grace later
    await vi.advanceTimersByTimeAsync(1000 + EXIT_GRACE_MS - 1);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([0]);
  });

  it("a stop whose start used up its bound is ended the grace after the start, exit 1", async () => {
    const { signals, exits, bounds, log } = harness();
    const early = new EarlySignals(bounds);
    signals.emit("SIGTERM", "SIGTERM");
    await vi.advanceTimersByTimeAsync(BOUND_MS - 1);
    const daemon = daemonWith(never);
    void untilStopped(daemon, bounds, early);
    await vi.advanceTimersByTimeAsync(1);
    expect(daemon.stop).toHaveBeenCalledWith(1);
    await vi.advanceTimersByTimeAsync(EXIT_GRACE_MS - 1);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(exits).toEqual([1]);
    expect(log.lines.at(-1)).toMatchObject({ event: "stop_overrun", stopped: false });
  });

  it("a start that fails in time is released: its own error decides, no overrun", async () => {
    const { signals, exits, bounds } = harness();
    const early = new EarlySignals(bounds);
    signals.emit("SIGTERM", "SIGTERM");
    early.release();
    await vi.advanceTimersByTimeAsync(10 * BOUND_MS);
    expect(exits).toEqual([]);
    expect(signals.eventNames()).toEqual([]);
  });

  it("a SIGHUP during the start reloads once started", async () => {
    const { signals, bounds } = harness();
    const early = new EarlySignals(bounds);
    signals.emit("SIGHUP", "SIGHUP");
    const daemon = daemonWith(never);
    void untilStopped(daemon, bounds, early);
    expect(daemon.reload).toHaveBeenCalledTimes(1);
    expect(daemon.stop).not.toHaveBeenCalled();
  });
});
