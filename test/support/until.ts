/**
 * The suite's one polling helper: waits, in real time, for something another process, a socket
 * or a fake clock's next step brings about. (A child's log lines are awaited by event instead:
 * DaemonProcess.waitFor.)
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface UntilOptions {
  /** What is awaited, as the failure message should name it: "portal to be down". */
  what: string;
  /** Real time allowed before failing; 10 s unless given. */
  timeoutMs?: number;
  /** Real time between tries when there is no `step`; 20 ms unless given. */
  intervalMs?: number;
  /** Runs between tries instead of sleeping: e.g. moving a fake clock on by one step. */
  step?: () => Promise<void>;
  /** Checked before each try: why waiting is pointless now (a process exited), else null. */
  failed?: () => string | null;
}

/** What a condition resolves with once it holds. */
export type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

/**
 * Tries `condition` until it returns a truthy value, and resolves with that value. A condition
 * that throws counts as not yet (a server not listening yet); the last error is in the message.
 */
export async function until<T>(
  condition: () => T | Promise<T>,
  options: UntilOptions,
): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    const failure = options.failed?.() ?? null;
    if (failure !== null) throw new Error(`gave up waiting for ${options.what}: ${failure}`);
    try {
      const value = await condition();
      if (value) return value as Truthy<T>;
      lastError = null;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      const last = lastError === null ? "" : `; last error: ${describe(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}${last}`);
    }
    if (options.step) await options.step();
    else await sleep(options.intervalMs ?? 20);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
