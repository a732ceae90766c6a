/** The states of docs/states-and-outages.md. `unknown` means no verdict yet. */
export type TargetState = "unknown" | "up" | "degraded" | "down";

export const TARGET_STATES: readonly TargetState[] = ["up", "degraded", "down", "unknown"];

/** The states a probe can move each state to (docs/states-and-outages.md); →unknown happens only on removal. */
export const NEXT_STATES: Readonly<Record<TargetState, readonly TargetState[]>> = {
  unknown: ["up", "degraded", "down"],
  up: ["degraded", "down"],
  degraded: ["up", "down"],
  down: ["up", "degraded"],
};

/** What the state machine needs from a probe result (a ProbeResult satisfies it). */
export interface Observation {
  result: "ok" | "degraded" | "failed";
  /** Wall-clock start of the probe, epoch ms. */
  startedAt: number;
  reason: string | null;
  detail: string;
}

export interface Thresholds {
  failureThreshold: number;
  successThreshold: number;
  degradedThreshold: number;
}

/** A decided change of state. Times are epoch ms. */
export interface Transition {
  targetId: string;
  from: TargetState;
  to: TargetState;
  /** Start of the first probe of the streak that caused it: thresholds never distort durations. */
  at: number;
  /** When the threshold was reached and the transition decided. */
  detectedAt: number;
  /**
   * Start of the last probe before the streak (null when none was seen in this run): the change
   * itself happened in (previousProbeAt, at]. Into down it is the last non-failed probe (the
   * outage's `last_ok_at`); out of down the last failed one (its `last_failed_at`).
   */
  previousProbeAt: number | null;
  /**
   * Why the target is in its new state: →down the first failure of the streak; →degraded from
   * up/unknown the first degraded probe of the streak, from down the deciding (degraded) probe,
   * which is what chose degraded over up; →up null. `removed` when the target left the config.
   */
  reason: string | null;
  detail: string | null;
}

/**
 * What a run of consecutive probes counts towards; which verdicts extend it depends on the state
 * (see STREAK_KIND_BY_STATE in state-machine.ts):
 * - `failed`: failures, towards down (from unknown, up, degraded);
 * - `degraded`: degraded probes, towards degraded (from up);
 * - `ok`: ok probes, towards up (from degraded);
 * - `not_failed`: ok or degraded probes, towards up/degraded (from down; from unknown at once).
 */
export type StreakKind = "failed" | "degraded" | "ok" | "not_failed";

/** Consecutive probes of one kind that have not yet reached their threshold. */
export interface Streak {
  kind: StreakKind;
  /** Probes in the streak so far, at least 1. */
  count: number;
  /** startedAt of the streak's first probe: the `at` of the transition it may cause. */
  startedAt: number;
  /** Reason and detail of the streak's first probe. */
  reason: string | null;
  detail: string;
  /** Start of the probe before the streak's first (null when none): the transition's `previousProbeAt`. */
  previousProbeAt: number | null;
}

/** One target's health between probes: plain data, safe to serialize and restore. */
export interface HealthState {
  state: TargetState;
  /** `at` of the last transition; null when none is known. */
  since: number | null;
  /** The run in progress, null when the last probe confirmed the state. */
  streak: Streak | null;
  /** Start of the latest probe decided on in this run; null before the first. */
  lastProbeAt: number | null;
  /** `previousProbeAt` of the transition into `state`: it happened in (enteredAfter, since]. */
  enteredAfter: number | null;
}
