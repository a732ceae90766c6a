/**
 * An in-process daemon on fake time: every timer it arms — scheduler, engine, heartbeat,
 * alerting, HA, the bound on stopping — runs on a FakeTime the test moves on, while its probes
 * do real I/O on loopback. Each step moves the clock on, then waits in real time for the probes
 * that step started to end, so the test never outruns a socket (a slot that came due while its
 * probe was still running would be skipped).
 */
import { Daemon, type DaemonOptions } from "../../src/daemon/daemon.js";
import { FakeTime } from "./time.js";
import { type Truthy, type UntilOptions, until } from "./until.js";

export interface DaemonOnFakeTime {
  daemon: Daemon;
  time: FakeTime;
  /** Moves the clock on by one step, then waits for the probes it started to end. */
  step(): Promise<void>;
  /** Moves the clock on by `ms`, one step at a time. */
  run(ms: number): Promise<void>;
  /** Steps until `condition` holds (bounded in real time, as `until` is). */
  until<T>(
    condition: () => T | Promise<T>,
    options: Omit<UntilOptions, "step">,
  ): Promise<Truthy<T>>;
}

export async function startOnFakeTime(
  options: Omit<DaemonOptions, "clock" | "timers">,
  fake: { stepMs: number; startAt?: number },
): Promise<DaemonOnFakeTime> {
  const time = new FakeTime(fake.startAt);
  const daemon = await Daemon.start({ ...options, clock: time, timers: time });
  const step = async (): Promise<void> => {
    await time.advance(fake.stepMs);
    await until(() => daemon.scheduler.inFlight === 0, {
      what: "the probes started by this step to end",
      intervalMs: 1,
    });
    // what they committed and published: a turn of the event loop, not a time
    await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    daemon,
    time,
    step,
    async run(ms) {
      for (let moved = 0; moved < ms; moved += fake.stepMs) await step();
    },
    until: (condition, untilOptions) => until(condition, { ...untilOptions, step }),
  };
}
