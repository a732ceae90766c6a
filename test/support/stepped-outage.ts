/**
 * One 6 s outage decided by the engine's pure core (TargetRuntime) on a FakeTime whose wall
 * clock steps while its monotonic time runs evenly: the committed transitions it yields, each
 * with the clock as it read when it was decided, for the pure tests of what reads them (the
 * log line, the outage histogram, the alert payload). Probes run every second; the target
 * fails from 120 s to 126 s of monotonic time; the wall clock steps by `before` at 60 s and by
 * `during` at 123 s, 3 s into the outage.
 */
import type { SendingClock } from "../../src/alert/sending-clock.js";
import type { CommittedTransition } from "../../src/engine/engine.js";
import { TargetRuntime } from "../../src/engine/target-runtime.js";
import { makeCommitted, makeResult, makeTarget } from "./targets.js";
import { FakeTime } from "./time.js";

export const HOUR = 3_600_000;
/** The wall clock reads 03:10 at the start. */
export const STEPPED_T0 = Date.UTC(2024, 5, 20, 3, 10, 0);
/** Monotonic ms of the outage's first failed probe and of its first good one. */
export const OUTAGE = { startMs: 120_000, endMs: 126_000 };

export interface ClockSteps {
  name: string;
  /** Step of the wall clock 60 s in, long before the outage (ms; 0: none). */
  before: number;
  /** Step 3 s into the outage. */
  during: number;
}

/** The table every reader of a stepped outage is tried on. */
export const CLOCK_STEPS: ClockSteps[] = [
  { name: "no step", before: 0, during: 0 },
  { name: "−2 h before, +2 h during (the reported sequence)", before: -2 * HOUR, during: 2 * HOUR },
  { name: "+2 h during", before: 0, during: 2 * HOUR },
  { name: "−2 h during", before: 0, during: -2 * HOUR },
  { name: "−2 h before", before: -2 * HOUR, during: 0 },
  { name: "+2 h before, −2 h during", before: 2 * HOUR, during: -2 * HOUR },
];

export interface Decided {
  transition: CommittedTransition;
  /** The clock when it was decided (and, as commits are immediate here, published). */
  clock: SendingClock;
}

export interface SteppedOutage {
  down: Decided;
  up: Decided;
  /** The clock 1 s after the step during the outage: when a resend goes out. */
  afterStep: SendingClock;
}

const reading = (time: FakeTime): SendingClock => ({
  now: time.now(),
  offset: time.now() - time.monotonic(),
});

export async function steppedOutage(steps: ClockSteps): Promise<SteppedOutage> {
  const time = new FakeTime(STEPPED_T0);
  const target = makeTarget("core", { failureThreshold: 2, successThreshold: 1 });
  const runtime = new TargetRuntime(target, null, null, time.now() - time.monotonic());
  const decided: Decided[] = [];
  let afterStep: SendingClock | null = null;
  for (let second = 0; second <= 200; second++) {
    const mono = time.monotonic();
    const failing = mono >= OUTAGE.startMs && mono < OUTAGE.endMs;
    const offset = time.now() - mono;
    const result = makeResult(failing ? "failed" : "ok", time.now());
    const judged = runtime.judge(result, offset, time.now(), false);
    if (judged.kind === "decided") {
      const { from, to, at } = judged.transition;
      const outageStart = judged.outageStart;
      const wallOffset = judged.wallOffset;
      const transition = makeCommitted(target, from, to, at, { outageStart, wallOffset });
      runtime.committedTo(transition);
      decided.push({ transition, clock: reading(time) });
    }
    if (second === 124) afterStep = reading(time);
    await time.advance(1000);
    if (second === 60) time.jumpWall(steps.before);
    if (second === 123) time.jumpWall(steps.during);
  }
  const down = decided.find((d) => d.transition.to === "down");
  const up = decided.find((d) => d.transition.from === "down");
  if (!down || !up || !afterStep) throw new Error(`no whole outage: ${decided.length} decided`);
  return { down, up, afterStep };
}
