import { formatTime } from "../../text/time.js";
import type { OutageFacts } from "./outage-facts.js";

/** An outage as the API and `pantau outages --format json` give it: snake_case, RFC 3339 ms. */
export interface OutageJson {
  instance: string;
  target: string;
  service: string;
  site: string;
  start: string;
  /** null while open. */
  end: string | null;
  detected_at: string;
  duration_seconds: number;
  blind_seconds: number;
  reason: string | null;
  detail: string | null;
  blocked_by: string | null;
  /** When the blocking dependency recovered and the outage became the target's own. */
  blocked_until: string | null;
  maintenance: boolean;
  end_reason: string | null;
  /** Start of the last non-failed probe before the first failed one: the outage began after it. */
  last_ok_at: string | null;
  /** Start of the last failed probe: the outage ended after it (null while open). */
  last_failed_at: string | null;
}

export function outageJson(outage: OutageFacts): OutageJson {
  return {
    instance: outage.instance,
    target: outage.targetId,
    service: outage.service,
    site: outage.site,
    start: formatTime(outage.start),
    end: outage.end === null ? null : formatTime(outage.end),
    detected_at: formatTime(outage.detectedAt),
    duration_seconds: outage.durationSeconds,
    blind_seconds: outage.blindSeconds,
    reason: outage.reason,
    detail: outage.detail,
    blocked_by: outage.blockedBy,
    blocked_until: outage.blockedUntil === null ? null : formatTime(outage.blockedUntil),
    maintenance: outage.maintenance,
    end_reason: outage.endReason,
    last_ok_at: outage.lastOkAt === null ? null : formatTime(outage.lastOkAt),
    last_failed_at: outage.lastFailedAt === null ? null : formatTime(outage.lastFailedAt),
  };
}
