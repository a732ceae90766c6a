import type {
  HealthState,
  Observation,
  Streak,
  StreakKind,
  TargetState,
  Thresholds,
  Transition,
} from "./types.js";

export type { HealthState, Streak, StreakKind } from "./types.js";

/**
 * The state machine of docs/states-and-outages.md, pure: no I/O, time is passed in. One call per probe result,
 * in probe order per target.
 */

type Verdict = Observation["result"];

/**
 * Which streak a verdict extends in each state. null: the verdict confirms the state, so it
 * interrupts whatever streak was running and starts none.
 */
const STREAK_KIND_BY_STATE: Record<TargetState, Record<Verdict, StreakKind | null>> = {
  unknown: { ok: "not_failed", degraded: "not_failed", failed: "failed" },
  up: { ok: null, degraded: "degraded", failed: "failed" },
  degraded: { ok: "ok", degraded: null, failed: "failed" },
  down: { ok: "not_failed", degraded: "not_failed", failed: null },
};

export interface Decision {
  health: HealthState;
  transition: Transition | null;
}

/** A target never probed yet. */
export function initialHealth(): HealthState {
  return { state: "unknown", since: null, streak: null, lastProbeAt: null, enteredAfter: null };
}

/**
 * A target's health after a restart, from its last committed transition (`enteredAfter` is its
 * `previousProbeAt`). No streak survives: probes from before the restart are not consecutive
 * with those after it, and none of them counts as seen in this run.
 */
export function restoreHealth(
  state: TargetState,
  since: number | null,
  enteredAfter: number | null = null,
): HealthState {
  return { state, since, streak: null, lastProbeAt: null, enteredAfter };
}

/**
 * Start of the last probe that did not fail, as far as this target's health can tell: the bound
 * on when a failure seen later really began (sampling-aware attribution, docs/states-and-outages.md). While down it
 * is the outage's bound (`last_ok_at`), not a probe of a recovery still below its threshold.
 * null: none seen (never probed, or only failures since a restart).
 */
export function lastOkAt(health: HealthState): number | null {
  if (health.state === "down") return health.enteredAfter;
  if (health.streak?.kind === "failed") return health.streak.previousProbeAt;
  // no failure since the last confirmed probe: the latest probe did not fail
  return health.state === "unknown" && health.streak === null ? null : health.lastProbeAt;
}

/**
 * While down: start of the last failed probe seen in this run (null when none), the bound on
 * when an outage that ends now really ended (its `last_failed_at`).
 */
export function lastFailedAt(health: HealthState): number | null {
  if (health.streak?.kind === "not_failed") return health.streak.previousProbeAt;
  return health.lastProbeAt;
}

/**
 * Folds one probe result into the health. `now` is when the result is decided on; it becomes the
 * transition's `detectedAt`, while `at` is the start of the streak's first probe.
 */
export function decide(
  health: HealthState,
  observation: Observation,
  thresholds: Thresholds,
  now: number,
  targetId: string,
): Decision {
  const kind = STREAK_KIND_BY_STATE[health.state][observation.result];
  const lastProbeAt = observation.startedAt;
  if (kind === null) {
    return { health: { ...health, streak: null, lastProbeAt }, transition: null };
  }
  const streak = extendStreak(health.streak, kind, observation, health.lastProbeAt);
  if (streak.count < thresholdOf(health.state, kind, thresholds)) {
    return { health: { ...health, streak, lastProbeAt }, transition: null };
  }
  const to = destinationOf(kind, observation.result);
  const explanation = explanationOf(to, streak, observation);
  const transition: Transition = {
    targetId,
    from: health.state,
    to,
    // start of the streak, not the detection time: thresholds must not distort durations
    at: streak.startedAt,
    detectedAt: now,
    previousProbeAt: streak.previousProbeAt,
    reason: explanation.reason,
    detail: explanation.detail,
  };
  const next: HealthState = {
    state: to,
    since: transition.at,
    streak: null,
    lastProbeAt,
    enteredAfter: streak.previousProbeAt,
  };
  return { health: next, transition };
}

function extendStreak(
  current: Streak | null,
  kind: StreakKind,
  observation: Observation,
  previousProbeAt: number | null,
): Streak {
  if (current !== null && current.kind === kind) {
    return { ...current, count: current.count + 1 };
  }
  return {
    kind,
    count: 1,
    startedAt: observation.startedAt,
    reason: observation.reason,
    detail: observation.detail,
    previousProbeAt,
  };
}

function thresholdOf(state: TargetState, kind: StreakKind, thresholds: Thresholds): number {
  switch (kind) {
    case "failed":
      return thresholds.failureThreshold;
    case "degraded":
      return thresholds.degradedThreshold;
    case "ok":
      return thresholds.successThreshold;
    case "not_failed":
      // the first verdict leaves unknown at once: there is no earlier state to protect
      return state === "unknown" ? 1 : thresholds.successThreshold;
  }
}

function destinationOf(kind: StreakKind, deciding: Verdict): TargetState {
  switch (kind) {
    case "failed":
      return "down";
    case "degraded":
      return "degraded";
    case "ok":
      return "up";
    case "not_failed":
      return deciding === "degraded" ? "degraded" : "up";
  }
}

interface Explanation {
  reason: string | null;
  detail: string | null;
}

/** See Transition.reason: the reason explains the state entered. */
function explanationOf(to: TargetState, streak: Streak, deciding: Observation): Explanation {
  if (to === "up") {
    return { reason: null, detail: null };
  }
  if (streak.kind === "not_failed") {
    // a not_failed streak may open with an ok probe; the deciding one is why it is degraded
    return { reason: deciding.reason, detail: deciding.detail };
  }
  return { reason: streak.reason, detail: streak.detail };
}
