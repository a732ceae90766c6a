import { createHash } from "node:crypto";

/**
 * Sharding: a target belongs to shard `index` of `count` when the md5 of its id,
 * last 8 bytes read as a big-endian uint64, mod `count` equals `index` — exactly what
 * Prometheus' `hashmod` relabel action computes from a label holding the id. So the assignment
 * depends on nothing but the id: stable across restarts, versions and the order of the file.
 */

/** One shard of a fleet: 0 <= index < count. */
export interface Shard {
  index: number;
  count: number;
}

/** The shard (0-based, like hashmod) that `id` falls in among `count`. */
export function shardOf(id: string, count: number): number {
  const digest = createHash("md5").update(id, "utf8").digest();
  return Number(digest.readBigUInt64BE(8) % BigInt(count));
}

export function inShard(id: string, shard: Shard): boolean {
  return shardOf(id, shard.count) === shard.index;
}

/** `2/4` → { index: 2, count: 4 }; the text of what is wrong otherwise (for --shard). */
export function parseShard(text: string): Shard | string {
  const match = /^(\d{1,9})\/(\d{1,9})$/.exec(text.trim());
  if (!match) return `"${text}" is not INDEX/COUNT (e.g. 0/4; shards are numbered from 0)`;
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) return `"${text}": count must be at least 1`;
  if (index >= count) {
    return `"${text}": index must be less than count (shards are numbered 0 to ${count - 1})`;
  }
  return { index, count };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
