import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import type { Behaviour } from "./behaviour.js";
import type { ScenarioStep } from "./scenario-checks.js";

export type PlayerEvent =
  | {
      type: "step";
      index: number;
      step: ScenarioStep;
      /** Real milliseconds after the start the step was due: its offset divided by the speed. */
      dueMs: number;
      /** Wall-clock time (epoch ms) the step's switches had all been applied. */
      appliedAt: number;
    }
  | { type: "failed"; index: number; step: ScenarioStep; error: unknown }
  | { type: "finished"; at: number };

export type PlayOutcome = "finished" | "stopped" | "failed";

export interface ScenarioPlayerOptions {
  steps: readonly ScenarioStep[];
  /** Scenario time per real time: 3600 plays an hour per second. */
  speed: number;
  clock: Clock;
  timers: Timers;
  /** Applies one step's switches; a rejection ends the play as `failed`. */
  apply: (step: ScenarioStep, index: number) => Promise<void>;
}

/**
 * Plays a scenario's steps at their offsets divided by the speed. Each step is due relative to
 * the start (monotonic), not to the previous step, so slow switches never accumulate drift.
 * A `slow` answer's delay is scenario time too: it is applied divided by the speed.
 */
export class ScenarioPlayer {
  private readonly listeners = new Set<(event: PlayerEvent) => void>();
  private timer: TimerHandle | null = null;
  private origin = 0;
  private settle: ((outcome: PlayOutcome) => void) | null = null;

  constructor(private readonly options: ScenarioPlayerOptions) {
    if (!(options.speed > 0)) throw new RangeError(`speed must be > 0, got ${options.speed}`);
  }

  /** Subscribes to steps applied, a failure and the end; returns the unsubscribe function. */
  on(listener: (event: PlayerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Real milliseconds after the start a step at `atMs` is due. */
  dueMs(atMs: number): number {
    return Math.round(atMs / this.options.speed);
  }

  /** Starts playing; resolves when the last step is applied, on stop, or on a failed step. */
  play(): Promise<PlayOutcome> {
    if (this.settle !== null) throw new Error("the scenario is already playing");
    this.origin = this.options.clock.monotonic();
    const outcome = new Promise<PlayOutcome>((resolve) => {
      this.settle = resolve;
    });
    this.schedule(0);
    return outcome;
  }

  /** Cancels the steps not yet applied; `play()` resolves `stopped`. */
  stop(): void {
    if (this.timer !== null) this.options.timers.clearTimeout(this.timer);
    this.timer = null;
    this.end("stopped");
  }

  private schedule(index: number): void {
    const step = this.options.steps[index];
    if (step === undefined) {
      this.emit({ type: "finished", at: this.options.clock.now() });
      this.end("finished");
      return;
    }
    const dueMs = this.dueMs(step.atMs);
    const delay = Math.max(0, this.origin + dueMs - this.options.clock.monotonic());
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = null;
      void this.run(index, step, dueMs);
    }, delay);
  }

  private async run(index: number, step: ScenarioStep, dueMs: number): Promise<void> {
    try {
      await this.options.apply(atSpeed(step, this.options.speed), index);
    } catch (error) {
      if (this.settle === null) return;
      this.emit({ type: "failed", index, step, error });
      this.end("failed");
      return;
    }
    if (this.settle === null) return;
    this.emit({ type: "step", index, step, dueMs, appliedAt: this.options.clock.now() });
    this.schedule(index + 1);
  }

  private emit(event: PlayerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private end(outcome: PlayOutcome): void {
    const settle = this.settle;
    this.settle = null;
    settle?.(outcome);
  }
}

/** The step as applied at `speed`: delays of slow answers divided like the offsets. */
export function atSpeed(step: ScenarioStep, speed: number): ScenarioStep {
  if (speed === 1 || !step.switches.some((s) => isSlow(s.behaviour))) return step;
  const switches = step.switches.map((change) =>
    isSlow(change.behaviour)
      ? { ...change, behaviour: { ...change.behaviour, delayMs: change.behaviour.delayMs / speed } }
      : change,
  );
  return { ...step, switches };
}

function isSlow(behaviour: Behaviour): behaviour is Extract<Behaviour, { mode: "slow" }> {
  return behaviour.behaviour === "degraded" && behaviour.mode === "slow";
}
