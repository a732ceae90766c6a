/** The states of SPEC §4. `unknown` means no verdict yet. */
export type TargetState = "unknown" | "up" | "degraded" | "down";

export const TARGET_STATES: readonly TargetState[] = ["up", "degraded", "down", "unknown"];

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
  /** Reason of the first probe of the streak (a failure or degradation reason), null for recoveries. */
  reason: string | null;
  detail: string | null;
}
