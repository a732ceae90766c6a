import type { AlertmanagerSettings } from "../config/types.js";
import type { StoredTransition } from "../ledger/ledger.js";
import { humanDuration } from "../text/duration.js";
import { formatTime } from "../text/time.js";

/**
 * PURE: the alerts pantau pushes to Alertmanager (API v2, `POST /api/v2/alerts`), built from
 * the facts of an outage. Labels identify an alert (Alertmanager deduplicates on them), so
 * they hold only what stays fixed while the alert fires; everything else is an annotation.
 */

export const ALERT_NAME = "PantauTargetDown";

/** One element of the array `POST /api/v2/alerts` takes (a "postableAlert"). */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339 with milliseconds. */
  startsAt: string;
  endsAt: string;
}

/** What one alert is about: a target's open outage, as attributed when it was fired. */
export interface OutageAlert {
  targetId: string;
  targetName: string;
  service: string;
  site: string;
  instance: string;
  /** `at` of the →down transition: the first failed probe. */
  start: number;
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
}

/** The outage a committed →down transition opens; the name falls back to the id. */
export function outageAlertFrom(
  transition: StoredTransition,
  targetName: string | undefined,
  instance: string,
): OutageAlert {
  return {
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
}

/** The same outage, now attributed to another dependency (or to none). */
export function reattributed(outage: OutageAlert, blockedBy: string | null): OutageAlert {
  return { ...outage, blockedBy };
}

/**
 * Configured labels first, so they can add (`team`) but never replace what routing and
 * inhibition rely on. `root_target` names the outage's root on both sides — the target itself
 * when not blocked, its `blocked_by` otherwise — because an inhibition's `equal` compares one
 * label name on source and target alerts. Empty values are left out (Alertmanager drops them).
 */
export function alertLabels(
  outage: OutageAlert,
  settings: AlertmanagerSettings,
): Record<string, string> {
  const labels: Record<string, string> = {
    ...settings.labels,
    alertname: ALERT_NAME,
    target: outage.targetId,
    service: outage.service,
    site: outage.site,
    instance: outage.instance,
    severity: outage.blockedBy === null ? "page" : "info",
    root_target: outage.blockedBy ?? outage.targetId,
  };
  if (outage.blockedBy !== null) labels.blocked_by = outage.blockedBy;
  for (const [name, value] of Object.entries(labels)) if (value === "") delete labels[name];
  return labels;
}

/** One string per label set, whatever the key order: what Alertmanager deduplicates on. */
export function alertIdentity(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A firing alert. `endsAt` is a lease, as Prometheus sends one: Alertmanager keeps the alert
 * firing until then, and each resend extends it; if pantau stops resending (it died, or
 * Alertmanager was unreachable) the alert resolves on its own, whatever `resolve_timeout` is.
 */
export function firingAlert(
  outage: OutageAlert,
  settings: AlertmanagerSettings,
  leaseUntil: number,
): AlertmanagerAlert {
  return {
    labels: alertLabels(outage, settings),
    annotations: { summary: summary(outage), description: description(outage) },
    startsAt: formatTime(outage.start),
    endsAt: formatTime(leaseUntil),
  };
}

/** A resolved alert: the same labels and start, `endsAt` when it ended, and how long it lasted. */
export function resolvedAlert(
  outage: OutageAlert,
  settings: AlertmanagerSettings,
  end: AlertEnd,
): AlertmanagerAlert {
  const annotations: Record<string, string> = {
    summary: summary(outage),
    description: description(outage),
    end_reason: end.reason,
  };
  // a reattributed outage goes on under new labels: its duration is not known yet
  if (end.reason !== "reattributed") {
    const seconds = Math.max(0, end.at - outage.start) / 1000;
    annotations.duration = humanDuration(seconds);
    annotations.duration_seconds = String(seconds);
  }
  return {
    labels: alertLabels(outage, settings),
    annotations,
    startsAt: formatTime(outage.start),
    endsAt: formatTime(end.at),
  };
}

function summary(outage: OutageAlert): string {
  return `${outage.targetName} (${outage.targetId}) is down`;
}

function description(outage: OutageAlert): string {
  const cause = [outage.reason, outage.detail].filter((part) => part).join(": ");
  const because = cause === "" ? "" : ` (${cause})`;
  const blocked = outage.blockedBy === null ? "" : `, blocked by ${outage.blockedBy}`;
  return `${outage.targetId} down since ${formatTime(outage.start)}${because}${blocked}`;
}
