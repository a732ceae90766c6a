import { Cron } from "croner";
import type { Target } from "../config/types.js";

/**
 * Pages of dependants waiting for an upstream's verdict (docs/states-and-outages.md). When a target T goes down
 * while an ancestor that may have caused it has no verdict yet, T's →down is committed and
 * shown at once, but its page waits: if the ancestor goes down, T is blocked by it and the
 * ancestor pages; if the ancestor is seen healthy, T pages with its true start. The wait is
 * bounded (`verdictDeadline`), so a page is never held for ever by an upstream that hangs.
 * This keeps the holds and their index; the engine decides what is pending.
 */

/** A change of one target's hold. `waitingOn` empty: released (its page may go out now). */
export interface PageHoldChange {
  targetId: string;
  /** Upstreams whose verdict the page waits for, by id; empty once released. */
  waitingOn: readonly string[];
}

interface Hold {
  waitingOn: readonly string[];
  /** Wall-clock ms after which the page goes out whatever the upstreams' verdicts. */
  deadline: number;
}

const NONE: readonly string[] = [];

export class PageHolds {
  private readonly holds = new Map<string, Hold>();
  /** Upstream id → targets whose hold waits on it: a probe of it reviews only those. */
  private readonly waiters = new Map<string, Set<string>>();

  get size(): number {
    return this.holds.size;
  }

  waitingOn(targetId: string): readonly string[] {
    return this.holds.get(targetId)?.waitingOn ?? NONE;
  }

  /** Moves a hold's deadline (its upstream's verdict is in, waiting for the ledger). */
  extend(targetId: string, deadline: number): void {
    const hold = this.holds.get(targetId);
    if (hold !== undefined) hold.deadline = deadline;
  }

  /** Holds `targetId`'s page on `upstreams` (non-empty) until `deadline`. */
  hold(targetId: string, upstreams: readonly string[], deadline: number): PageHoldChange {
    this.unindex(targetId);
    this.holds.set(targetId, { waitingOn: upstreams, deadline });
    this.index(targetId, upstreams);
    return { targetId, waitingOn: upstreams };
  }

  /**
   * Narrows a hold to the upstreams still pending; releases it when none is. Returns the
   * change, or null when the hold already waited on exactly these.
   */
  update(targetId: string, stillPending: readonly string[]): PageHoldChange | null {
    const hold = this.holds.get(targetId);
    if (hold === undefined) return null;
    if (stillPending.length === 0) return this.release(targetId);
    if (sameIds(hold.waitingOn, stillPending)) return null;
    return this.hold(targetId, stillPending, hold.deadline);
  }

  release(targetId: string): PageHoldChange | null {
    if (!this.holds.has(targetId)) return null;
    this.unindex(targetId);
    this.holds.delete(targetId);
    return { targetId, waitingOn: NONE };
  }

  /** Held targets waiting on `upstreamId`, copied: reviewing them may release some. */
  heldOn(upstreamId: string): string[] {
    const targets = this.waiters.get(upstreamId);
    return targets === undefined ? [] : [...targets];
  }

  heldTargets(): string[] {
    return [...this.holds.keys()];
  }

  /** Holds whose deadline is at or before `now`. */
  expired(now: number): string[] {
    const expired: string[] = [];
    for (const [targetId, hold] of this.holds) if (hold.deadline <= now) expired.push(targetId);
    return expired;
  }

  /** The earliest deadline, or null with nothing held. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const hold of this.holds.values()) {
      if (next === null || hold.deadline < next) next = hold.deadline;
    }
    return next;
  }

  clear(): PageHoldChange[] {
    const released = [...this.holds.keys()].map((targetId) => ({ targetId, waitingOn: NONE }));
    this.holds.clear();
    this.waiters.clear();
    return released;
  }

  private index(targetId: string, upstreams: readonly string[]): void {
    for (const upstream of upstreams) {
      const targets = this.waiters.get(upstream);
      if (targets === undefined) this.waiters.set(upstream, new Set([targetId]));
      else targets.add(targetId);
    }
  }

  private unindex(targetId: string): void {
    for (const upstream of this.holds.get(targetId)?.waitingOn ?? NONE) {
      const targets = this.waiters.get(upstream);
      targets?.delete(targetId);
      if (targets?.size === 0) this.waiters.delete(upstream);
    }
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * The latest moment `upstream`'s verdict on a failure that began no later than `from` can
 * arrive: its `failure_threshold`-th probe after `from` (by interval, or by its cron pattern),
 * plus its timeout. A failure at `from` is seen by its next probe, decided by the threshold-th.
 * A push target's last push before `from` makes its first deadline no later than
 * `from + expect_every + grace`, and its threshold-th `expect_every`s after that.
 */
export function verdictDeadline(upstream: Target, from: number): number {
  const { failureThreshold, timeout } = upstream;
  if (upstream.probe.kind === "push") {
    const { expectEvery, grace } = upstream.probe;
    return from + failureThreshold * expectEvery + grace;
  }
  if (upstream.schedule !== null) {
    const runs = new Cron(upstream.schedule, { paused: true }).nextRuns(
      failureThreshold,
      new Date(from),
    );
    const last = runs.at(-1);
    if (last !== undefined) return last.getTime() + timeout;
  }
  return from + failureThreshold * upstream.interval + timeout;
}
