import { isDeepStrictEqual } from "node:util";
import type { ConfigIssue } from "../fields/errors.js";
import { configReadIssue } from "./bearer-token.js";
import { formatShard } from "./shard.js";
import type { Config, Target } from "./types.js";

/**
 * PURE: what a reload changes. Targets are compared by structure (key order does not matter),
 * so a target whose settings did not change keeps its state and its schedule.
 */

export interface TargetChanges {
  /** Ids new to the configuration, in its order. */
  added: string[];
  /** Ids whose settings changed, in its order. */
  changed: string[];
  /** Ids no longer configured. */
  removed: string[];
  /** The added and changed targets, in the configuration's order: what to apply. */
  apply: Target[];
}

export function targetChanges(before: readonly Target[], after: readonly Target[]): TargetChanges {
  const diff = targetDiff(before, after);
  let step = diff.next();
  while (!step.done) step = diff.next();
  return step.value;
}

/**
 * targetChanges one target at a time: the generator yields after each target, so a
 * caller on the event loop can give the loop a turn between slices of a large reload.
 */
export function* targetDiff(
  before: readonly Target[],
  after: readonly Target[],
): Generator<void, TargetChanges> {
  // built a step at a time too: at 160,000 targets the map alone is a long turn of the loop
  const old = new Map<string, Target>();
  for (const target of before) {
    old.set(target.id, target);
    yield;
  }
  const changes: TargetChanges = { added: [], changed: [], removed: [], apply: [] };
  for (const target of after) {
    yield;
    const previous = old.get(target.id);
    old.delete(target.id);
    if (previous === undefined) changes.added.push(target.id);
    else if (!isDeepStrictEqual(previous, target)) changes.changed.push(target.id);
    else continue;
    changes.apply.push(target);
  }
  changes.removed = [...old.keys()];
  return changes;
}

/**
 * A daemon's HA pair: its name in the lock and in the ledger, the group with its shard when
 * sharded (`jkt/1/4`), so the pairs of different shards sharing one `ha_group` elect and write
 * apart; null when not in a group.
 */
export function haPairOf(config: Config): string | null {
  const { haGroup, shard } = config.global;
  if (haGroup === null) return null;
  return shard === null ? haGroup : `${haGroup}/${formatShard(shard)}`;
}

/** The name a daemon's transitions, outages and gaps are kept under: its HA pair, or itself. */
export function chainOf(config: Config): string {
  return haPairOf(config) ?? config.global.instance;
}

/**
 * An HA pair (group and shard) is part of the run — its chain, its election: a reload that
 * would change it is refused (it takes a restart).
 */
export function haPairChange(running: Config, next: Config): ConfigIssue | null {
  const was = haPairOf(running);
  const will = haPairOf(next);
  if (was === will) return null;
  const message = `the HA pair is ${was ?? "none"}, the file says ${will ?? "none"}: changing ha_group or shard of an HA member takes a restart`;
  return { ...configReadIssue(next, "global.ha_group", message), code: "CONFIG_INVALID" };
}
