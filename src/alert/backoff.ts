/**
 * PURE: how long to wait before delivering again after `failures` failed attempts in a row.
 * Exponential from 1 s, capped at 30 s, jittered ±20 % so that senders restarted together do
 * not hit a recovering receiver in step.
 */
export const BACKOFF = { firstMs: 1000, maxMs: 30_000, jitter: 0.2 } as const;

/** `random` in [0, 1): 0.5 is the undisturbed delay. */
export function backoffDelay(failures: number, random: number): number {
  const base = Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** (Math.max(1, failures) - 1));
  return Math.round(base * (1 - BACKOFF.jitter + 2 * BACKOFF.jitter * random));
}
