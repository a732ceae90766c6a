import type { AttributionChange, StoredTransition } from "../ledger/ledger.js";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import {
  type AlertEnd,
  alertKey,
  type OutageAlert,
  outageAlertFrom,
  reattributed,
} from "./outage-alert.js";
import type { AlertUpdate } from "./update-queue.js";

/**
 * A committed transition; on a →down, the upstreams whose verdict its page waits for;
 * `wallOffset`, when known, the wall − monotonic its `at` was recorded on (sending-clock.ts).
 */
export interface AlertTransition extends StoredTransition {
  waitingOn?: readonly string[];
  wallOffset?: number;
}

/** A change of one target's page hold; `waitingOn` empty: released. */
export interface HoldChange {
  targetId: string;
  waitingOn: readonly string[];
}

/** Where updates go to be delivered (delivery.ts); firing never waits for it. */
export interface AlertOutbox {
  put(key: string, update: AlertUpdate): void;
  /** Whether an update of this alert is still waiting to go out. */
  isWaiting(key: string): boolean;
}

export interface FiringAlertsOptions {
  /** This daemon's (or HA pair's, or quorum group's) name: part of every alert's identity. */
  instance: string;
  /** How often a firing alert is sent again; each one's lease lasts `LEASE_RESENDS` of these. */
  resendMs: number;
  clock: Clock;
  timers: Timers;
  targetName(targetId: string): string | undefined;
  outbox: AlertOutbox;
}

/** Each firing alert's lease lasts this many resend periods (Prometheus uses 4 too). */
export const LEASE_RESENDS = 4;
/** A `resend: 0s` must not spin. */
const MIN_RESEND_MS = 1000;

interface Firing {
  outage: OutageAlert;
  key: string;
  /** Monotonic time it was last queued: resends never come sooner than `resend` after it. */
  queuedAt: number;
}

/**
 * Decides what pages, from committed facts only: fires on →down outside maintenance, holds a
 * dependant's page until its upstream's verdict, resolves on recovery or removal, fires anew
 * under new labels when the attribution changes, and resends while down. It knows no receiver:
 * every decision is an update put in the outbox.
 */
export class FiringAlerts {
  private readonly firing = new Map<string, Firing>();
  /** Outages whose page waits for an upstream's verdict: fired (or not) when released. */
  private readonly held = new Map<string, OutageAlert>();
  private resendTimer: { handle: TimerHandle; due: number } | null = null;
  private stopped = false;

  constructor(private readonly options: FiringAlertsOptions) {}

  /** →down fires (or holds, while `waitingOn` is not empty); out of down resolves. */
  recordTransitions(transitions: readonly AlertTransition[]): void {
    if (this.stopped) return;
    for (const transition of transitions) {
      const waiting = (transition.waitingOn?.length ?? 0) > 0;
      if (transition.to === "down") this.outageStarted(transition, waiting);
      else if (transition.from === "down") this.outageEnded(transition);
    }
    this.scheduleResend();
  }

  /** A down target's root cause changed: its alert's labels change, so it is a new alert. */
  reattribute(changes: readonly AttributionChange[]): void {
    if (this.stopped) return;
    for (const { targetId, blockedBy, at } of changes) {
      const waiting = this.held.get(targetId);
      if (waiting !== undefined) {
        this.held.set(targetId, reattributed(waiting, blockedBy));
        continue;
      }
      const current = this.firing.get(targetId);
      if (!current || current.outage.blockedBy === blockedBy) continue;
      this.resolve(current, { at, reason: "reattributed" });
      this.fire(reattributed(current.outage, blockedBy));
    }
    this.scheduleResend();
  }

  /**
   * Held pages whose upstreams' verdicts are in go out now, with the outage's true start and
   * the attribution the verdict brought (blocked: not a page; its own: a page). A hold that
   * only narrowed to fewer upstreams keeps waiting.
   */
  holdsChanged(changes: readonly HoldChange[]): void {
    if (this.stopped) return;
    for (const { targetId, waitingOn } of changes) {
      const outage = this.held.get(targetId);
      if (outage === undefined || waitingOn.length > 0) continue;
      this.held.delete(targetId);
      this.fire(outage);
    }
    this.scheduleResend();
  }

  /** After a restart or a takeover: re-arms the alerts of outages still open. */
  restore(latest: readonly StoredTransition[]): void {
    if (this.stopped) return;
    for (const transition of latest) if (transition.to === "down") this.outageStarted(transition);
    this.scheduleResend();
  }

  /** Targets whose alert is firing now. */
  firingTargets(): string[] {
    return [...this.firing.keys()];
  }

  /** Targets whose page waits for an upstream's verdict. */
  heldTargets(): string[] {
    return [...this.held.keys()];
  }

  /** No more updates: the resend timer is cancelled. */
  stop(): void {
    this.stopped = true;
    if (this.resendTimer) this.options.timers.clearTimeout(this.resendTimer.handle);
    this.resendTimer = null;
  }

  private outageStarted(transition: AlertTransition, held = false): void {
    if (transition.maintenance) return;
    const name = this.options.targetName(transition.targetId);
    const outage = outageAlertFrom(transition, name, this.options.instance);
    const previous = this.firing.get(transition.targetId);
    // an earlier outage never seen to end is over; the same one (restored) just fires again
    if (previous && previous.outage.start !== outage.start) {
      this.resolve(previous, { ...endOf(transition), reason: "recovered" });
    }
    if (held) this.held.set(outage.targetId, outage);
    else this.fire(outage);
  }

  private outageEnded(transition: AlertTransition): void {
    // an outage over before its upstream's verdict came was never paged: nothing to resolve
    this.held.delete(transition.targetId);
    const current = this.firing.get(transition.targetId);
    if (!current) return;
    const reason = transition.reason === "removed" ? "removed" : "recovered";
    this.resolve(current, { ...endOf(transition), reason });
  }

  private fire(outage: OutageAlert): void {
    const key = alertKey(outage);
    const queuedAt = this.options.clock.monotonic();
    this.firing.set(outage.targetId, { outage, key, queuedAt });
    this.options.outbox.put(key, { kind: "fire", outage, leaseMs: this.leaseMs });
  }

  private resolve(alert: Firing, end: AlertEnd): void {
    this.firing.delete(alert.outage.targetId);
    this.options.outbox.put(alert.key, { kind: "resolve", outage: alert.outage, end });
  }

  private get resendMs(): number {
    return Math.max(MIN_RESEND_MS, this.options.resendMs);
  }

  private get leaseMs(): number {
    return LEASE_RESENDS * this.resendMs;
  }

  /** One timer for all firing alerts, due when the longest-waiting one needs resending. */
  private scheduleResend(): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const alert of this.firing.values()) oldest = Math.min(oldest, alert.queuedAt);
    const due = oldest + this.resendMs;
    if (this.resendTimer?.due === due) return;
    if (this.resendTimer) this.options.timers.clearTimeout(this.resendTimer.handle);
    this.resendTimer = null;
    if (!Number.isFinite(due) || this.stopped) return;
    const delay = Math.max(0, due - this.options.clock.monotonic());
    const handle = this.options.timers.setTimeout(() => this.resendDue(), delay);
    handle.unref?.();
    this.resendTimer = { handle, due };
  }

  private resendDue(): void {
    this.resendTimer = null;
    const now = this.options.clock.monotonic();
    for (const alert of this.firing.values()) {
      if (alert.queuedAt + this.resendMs > now) continue;
      alert.queuedAt = now;
      // one still waiting to go out will carry a fresh lease anyway
      if (!this.options.outbox.isWaiting(alert.key)) {
        this.options.outbox.put(alert.key, {
          kind: "resend",
          outage: alert.outage,
          leaseMs: this.leaseMs,
        });
      }
    }
    this.scheduleResend();
  }
}

/** Where an outage ended, with the base its time was recorded on when known. */
function endOf(transition: AlertTransition): { at: number; wallOffset?: number } {
  const { at, wallOffset } = transition;
  return wallOffset === undefined ? { at } : { at, wallOffset };
}
