import type { AlertmanagerSettings } from "../config/types.js";
import { humanDuration } from "../text/duration.js";
import { formatTime } from "../text/time.js";
import type { AlertNotice } from "./channel.js";
import type { AlertEnd, OutageAlert } from "./outage-alert.js";

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
    // the monitoring-mixins names, which existing Alertmanager routes match
    severity: outage.blockedBy === null ? "critical" : "info",
    root_target: outage.blockedBy ?? outage.targetId,
  };
  if (outage.blockedBy !== null) labels.blocked_by = outage.blockedBy;
  for (const [name, value] of Object.entries(labels)) if (value === "") delete labels[name];
  return labels;
}

/** What one notice is in Alertmanager's words. */
export function alertmanagerAlert(
  notice: AlertNotice,
  settings: AlertmanagerSettings,
): AlertmanagerAlert {
  if (notice.status === "resolved") return resolvedAlert(notice.outage, settings, notice.end);
  return firingAlert(notice.outage, settings, notice.leaseUntil);
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
    ...interval(outage.start, leaseUntil),
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
  return { labels: alertLabels(outage, settings), annotations, ...interval(outage.start, end.at) };
}

/**
 * `startsAt` and `endsAt`, never the end before the start: Alertmanager refuses such an alert
 * ("start time must be before end time"). The end is what the receiver acts on (the lease,
 * or the moment it resolved), so the start gives way. Notices are built so this never bites
 * (sending-clock.ts); it is the last guard.
 */
function interval(start: number, end: number): { startsAt: string; endsAt: string } {
  return { startsAt: formatTime(Math.min(start, end)), endsAt: formatTime(end) };
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
