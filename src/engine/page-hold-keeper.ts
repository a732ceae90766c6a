import { pendingUpstreams, type UpstreamVerdict } from "../health/attribution.js";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import { type PageHoldChange, PageHolds, verdictDeadline } from "./page-holds.js";
import type { TargetRuntime } from "./target-runtime.js";
import type { CommittedTransition } from "./types.js";

/**
 * When a dependant's page waits for its upstream's verdict, and when it stops (docs/states-and-outages.md): opened
 * by the commit of an own →down while an upstream that may have caused it has no verdict,
 * reviewed when that upstream is probed and after every commit, released at the latest at its
 * bound. The rule itself (which upstreams are pending) is pure, in health/attribution.ts.
 */

/**
 * Added to a hold's bound: probes start a little late (scheduler lag, the in-flight cap) and
 * results take a moment to decide and commit.
 */
export const HOLD_SLACK_MS = 1000;

export interface PageHoldKeeperOptions {
  /** The engine's target of that id, read for its committed and decided state. */
  runtime(targetId: string): TargetRuntime | undefined;
  clock: Clock;
  timers: Timers;
  /** Holds released by their bound, between commits. */
  expired(changes: readonly PageHoldChange[]): void;
}

export class PageHoldKeeper {
  private readonly holds = new PageHolds();
  private timer: { handle: TimerHandle; due: number } | null = null;
  /** The view as the pure rule reads it: one upstream at a time. */
  private readonly upstreams: { get(id: string): UpstreamVerdict | undefined };

  constructor(private readonly options: PageHoldKeeperOptions) {
    this.upstreams = { get: (id) => options.runtime(id)?.upstreamVerdict() };
  }

  get size(): number {
    return this.holds.size;
  }

  waitingOn(targetId: string): readonly string[] {
    return this.holds.waitingOn(targetId);
  }

  /**
   * After a commit: first what it settled (a held target now blocked, or its upstream's →down
   * committed), then the holds of the own outages it opened; sets their `waitingOn`.
   */
  afterCommit(transitions: readonly CommittedTransition[]): PageHoldChange[] {
    const changes = this.review(this.holds.heldTargets());
    for (const transition of transitions) {
      const change = this.holdIfPending(transition);
      if (change) changes.push(change);
    }
    this.scheduleExpiry();
    return changes;
  }

  /** A probe of `upstreamId`: seen healthy since a dependant failed clears it as a cause. */
  afterProbe(upstreamId: string): PageHoldChange[] {
    if (this.holds.size === 0) return [];
    const changes = this.review(this.holds.heldOn(upstreamId));
    if (changes.length > 0) this.scheduleExpiry();
    return changes;
  }

  release(targetId: string): PageHoldChange | null {
    const change = this.holds.release(targetId);
    if (change) this.scheduleExpiry();
    return change;
  }

  /** The leader pages; a standby holds nothing. */
  clear(): PageHoldChange[] {
    const changes = this.holds.clear();
    this.scheduleExpiry();
    return changes;
  }

  private holdIfPending(transition: CommittedTransition): PageHoldChange | null {
    if (transition.to !== "down" || transition.blockedBy !== null) return null;
    const { targetId, at } = transition;
    const pending = pendingUpstreams(targetId, at, this.upstreams);
    if (pending.length === 0) return null;
    let deadline = at;
    for (const id of pending) {
      const upstream = this.options.runtime(id)?.target;
      if (upstream) deadline = Math.max(deadline, verdictDeadline(upstream, at));
    }
    transition.waitingOn = pending;
    return this.holds.hold(targetId, pending, deadline + HOLD_SLACK_MS);
  }

  /** Released once blocked, no longer down, or with nothing left pending; else narrowed. */
  private review(targetIds: readonly string[]): PageHoldChange[] {
    const changes: PageHoldChange[] = [];
    for (const targetId of targetIds) {
      const committed = this.options.runtime(targetId)?.committed;
      const settled =
        committed?.state !== "down" || committed.blockedBy !== null || committed.since === null;
      const change = settled
        ? this.holds.release(targetId)
        : this.holds.update(
            targetId,
            pendingUpstreams(targetId, committed.since ?? 0, this.upstreams),
          );
      if (change) changes.push(change);
    }
    return changes;
  }

  /**
   * Holds past their bound go out, unless an upstream they wait on is already decided down and
   * only its commit is outstanding: that verdict is in, and will block them.
   */
  private expire(): void {
    const now = this.options.clock.now();
    const released: PageHoldChange[] = [];
    for (const targetId of this.holds.expired(now)) {
      const waiting = this.holds.waitingOn(targetId);
      // decided down: its →down may still wait for the ledger
      if (waiting.some((id) => this.options.runtime(id)?.health.state === "down")) {
        this.holds.extend(targetId, now + HOLD_SLACK_MS);
        continue;
      }
      const change = this.holds.release(targetId);
      if (change) released.push(change);
    }
    if (released.length > 0) this.options.expired(released);
    this.scheduleExpiry();
  }

  /** One timer for every hold, due at the earliest bound. */
  private scheduleExpiry(): void {
    const due = this.holds.nextDeadline();
    if (this.timer?.due === due) return;
    if (this.timer) this.options.timers.clearTimeout(this.timer.handle);
    this.timer = null;
    if (due === null) return;
    const delay = Math.max(0, due - this.options.clock.now());
    const handle = this.options.timers.setTimeout(() => {
      this.timer = null;
      this.expire();
    }, delay);
    handle.unref?.();
    this.timer = { handle, due };
  }
}
