/**
 * FNV-1a, 32 bit: a stable hash of a target id. Used to spread first runs over the interval
 * (restarts do not bunch probes together) and, later, to shard targets between daemons.
 */
export function stableHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The target's phase inside its interval, in [0, intervalMs). */
export function phaseOffset(id: string, intervalMs: number): number {
  return stableHash(id) % intervalMs;
}
