import { describe, expect, it } from "vitest";
import { ProbeDeadline } from "../../src/probe/deadline.js";
import { FakeTime } from "../support/time.js";

const never = () => new Promise<never>(() => undefined);

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("resolved");
}

describe("ProbeDeadline under a caller's signal", () => {
  it("aborts every deadline running under the signal, and frees what each adopted", async () => {
    const controller = new AbortController();
    const destroyed: number[] = [];
    const deadlines = [0, 1, 2].map((i) => {
      const deadline = new ProbeDeadline(60_000, controller.signal);
      deadline.adopt({ destroy: () => destroyed.push(i) });
      return deadline;
    });
    const races = deadlines.map((deadline) => failureOf(deadline.race(never())));
    controller.abort();
    for (const failure of await Promise.all(races)) {
      expect(failure).toMatchObject({ reason: "timeout", detail: "aborted" });
    }
    expect(destroyed.sort()).toEqual([0, 1, 2]);
    for (const deadline of deadlines) deadline.dispose();
  });

  it("leaves a deadline disposed before the abort alone", async () => {
    const controller = new AbortController();
    const done = new ProbeDeadline(60_000, controller.signal);
    expect(await done.race(Promise.resolve("ok"))).toBe("ok");
    done.dispose();
    const running = new ProbeDeadline(60_000, controller.signal);
    const race = failureOf(running.race(never()));
    controller.abort();
    expect(await race).toMatchObject({ detail: "aborted" });
    expect(done.expiry).toBeNull();
    running.dispose();
  });

  it("rejects every pending race when the timeout fires, with where the probe was", async () => {
    const deadline = new ProbeDeadline(5);
    deadline.phase = "connecting";
    const [outer, inner] = [failureOf(deadline.race(never())), failureOf(deadline.race(never()))];
    expect(await outer).toMatchObject({
      reason: "timeout",
      detail: "timeout after 5ms (connecting)",
    });
    expect(await inner).toBe(await outer);
    deadline.dispose();
  });

  it("times out on the timers it is given (a scaled clock's), not the system's", async () => {
    const time = new FakeTime();
    const deadline = new ProbeDeadline(570_000, undefined, time);
    const race = failureOf(deadline.race(never()));
    await time.advance(569_999);
    expect(deadline.expiry).toBeNull();
    await time.advance(1);
    expect(await race).toMatchObject({ detail: "timeout after 570s (resolving)" });
    deadline.dispose();
    expect(time.pendingTimers).toBe(0);
  });
});
