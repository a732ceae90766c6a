import { setImmediate as nextTurn } from "node:timers/promises";

/**
 * Work over many items on the event loop in slices: after each `budgetMs` of work it gives the
 * loop a turn (setImmediate), so that probes, scrapes and commits wait one slice at most, not
 * for the whole of a reload of 160,000 targets.
 */
export class Slicer {
  private sliceStart = performance.now();
  private sinceCheck = 0;

  /** `signal`: once aborted, the work ends at its next turn, throwing the signal's reason. */
  constructor(
    private readonly budgetMs = 5,
    private readonly signal?: AbortSignal,
  ) {}

  /** Call once per item: yields when the slice has used its budget (checked every 32 items). */
  async step(): Promise<void> {
    if (++this.sinceCheck < 32) return;
    this.sinceCheck = 0;
    if (performance.now() - this.sliceStart < this.budgetMs) return;
    await nextTurn();
    this.signal?.throwIfAborted();
    this.sliceStart = performance.now();
  }

  async forEach<T>(items: Iterable<T>, each: (item: T) => void): Promise<void> {
    for (const item of items) {
      each(item);
      await this.step();
    }
  }
}

/** Runs a generator that yields once per item to its end, in slices; its return value. */
export async function inSlices<R>(steps: Generator<void, R>, slicer: Slicer): Promise<R> {
  let step = steps.next();
  while (!step.done) {
    await slicer.step();
    step = steps.next();
  }
  return step.value;
}
