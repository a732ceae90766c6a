import type { StoredTransition } from "../ledger/ledger.js";

/**
 * PURE: what an alert is about, whatever channel carries it — a target's open outage as
 * attributed when it was fired — and when two updates are about the same alert.
 */

/** One target's open outage, as attributed when its alert was fired. */
export interface OutageAlert {
  targetId: string;
  targetName: string;
  service: string;
  site: string;
  /** The daemon (or HA pair) that pages: part of the alert's identity. */
  instance: string;
  /** `at` of the →down transition: the first failed probe, as the ledger recorded it. */
  start: number;
  /**
   * Wall − monotonic of the base `start` was recorded on; absent when not known (restored
   * after a restart): the start is then read as recorded. See sending-clock.ts.
   */
  wallOffset?: number;
  reason: string | null;
  detail: string | null;
  /** Root-most down dependency; null for a root outage. */
  blockedBy: string | null;
}

/** Why a firing alert ends: the target is back, left the config, or its blocked_by changed. */
export type AlertEndReason = "recovered" | "removed" | "reattributed";

export interface AlertEnd {
  at: number;
  reason: AlertEndReason;
  /** Wall − monotonic of the base `at` was recorded on, when known (as `OutageAlert.wallOffset`). */
  wallOffset?: number;
}

/** The outage a committed →down transition opens; the name falls back to the id. */
export function outageAlertFrom(
  transition: StoredTransition & { wallOffset?: number },
  targetName: string | undefined,
  instance: string,
): OutageAlert {
  const outage: OutageAlert = {
    targetId: transition.targetId,
    targetName: targetName ?? transition.targetId,
    service: transition.service,
    site: transition.site,
    instance,
    start: transition.at,
    reason: transition.reason,
    detail: transition.detail,
    blockedBy: transition.blockedBy,
  };
  if (transition.wallOffset !== undefined) outage.wallOffset = transition.wallOffset;
  return outage;
}

/** The same outage, now attributed to another dependency (or to none). */
export function reattributed(outage: OutageAlert, blockedBy: string | null): OutageAlert {
  return { ...outage, blockedBy };
}

/**
 * One string per alert: updates with the same key are about the same alert. It holds what a
 * receiver tells alerts apart by (Alertmanager's labels are these fields plus fixed settings)
 * and not the start: a recovery and the next outage of a target share a key, so the queue
 * orders their updates instead of letting the receiver merge two outages into one.
 */
export function alertKey(outage: OutageAlert): string {
  const { targetId, service, site, instance, blockedBy } = outage;
  return JSON.stringify([targetId, service, site, instance, blockedBy]);
}
