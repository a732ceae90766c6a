import type { Target } from "../config/types.js";
import type { UpstreamVerdict } from "../health/attribution.js";
import {
  decide,
  type HealthState,
  initialHealth,
  lastFailedAt,
  lastOkAt,
  restoreHealth,
} from "../health/state-machine.js";
import type { Transition } from "../health/types.js";
import type { StoredTransition } from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import { WALL_CLOCK_JUMP_MS } from "../time/wall-clock-watch.js";
import type { AttributionSubject } from "./attribution-tracker.js";
import type { CommittedState } from "./types.js";

/** Thresholds no streak reaches: extends a streak without deciding (see `putOff`). */
const NEVER = {
  failureThreshold: Number.POSITIVE_INFINITY,
  successThreshold: Number.POSITIVE_INFINITY,
  degradedThreshold: Number.POSITIVE_INFINITY,
};

/** What one probe result decided for its target. */
export type Judgement =
  /** Nothing new; `startedAt` as recorded. */
  | { kind: "none"; startedAt: number; failed: boolean }
  /**
   * A transition, `at` already kept in order; `outageStart` (the recorded `at` of its →down)
   * when it leaves down; `wallOffset`: wall − monotonic of the base `at` is recorded on.
   */
  | { kind: "decided"; transition: Transition; outageStart: number | null; wallOffset: number }
  /** The queue is full: the decision is put off (`first` of this episode is counted). */
  | { kind: "put-off"; transition: Transition; first: boolean };

/**
 * One target as the engine holds it: its decision chain (which runs ahead of what the ledger
 * committed), the committed view the world may see, and the wall-clock bases its times are
 * recorded on.
 */
export class TargetRuntime {
  health: HealthState;
  committed: CommittedState;
  lastResult: ProbeResult | null = null;
  /** `at` of the last decided transition: a wall clock stepping back must not reorder them. */
  lastAt: number;
  /** Inside a maintenance window at the last probe's start. */
  inMaintenance = false;
  /**
   * While down: the wall offset (wall − monotonic) the outage's start was recorded with. When
   * the wall clock steps during the outage, its end is put on the same base, so the outage
   * lasts what the monotonic clock measured; the next non-down period absorbs the step.
   */
  downOffset: number | null;
  /** Wall offset of the current streak's first probe, as fed to the state machine. */
  streakOffset: number;
  /** A decision is being put off for a full queue (counted once). */
  private putOffNow = false;

  /** From its latest committed transition (a restart), with its open outage's attribution. */
  constructor(
    public target: Target,
    latest: StoredTransition | null,
    blockedBy: string | null,
    wallOffset: number,
  ) {
    const down = latest?.to === "down";
    this.health = latest
      ? restoreHealth(latest.to, latest.at, latest.previousProbeAt)
      : initialHealth();
    this.committed = {
      state: latest?.to ?? "unknown",
      since: latest?.at ?? null,
      transition: latest,
      blockedBy: down ? blockedBy : null,
    };
    this.lastAt = latest?.at ?? Number.NEGATIVE_INFINITY;
    // an outage from before a restart: its end is measured from the clock as it reads now
    this.downOffset = down ? wallOffset : null;
    this.streakOffset = wallOffset;
  }

  /**
   * Folds a probe result into the chain. `ownOffset`: wall − monotonic when the probe started;
   * `now`: the decision's time; `queueFull`: a transition cannot be queued now.
   */
  judge(result: ProbeResult, ownOffset: number, now: number, queueFull: boolean): Judgement {
    const offset = this.recordedOffset(ownOffset);
    const startedAt = result.startedAt - ownOffset + offset;
    const observation = startedAt === result.startedAt ? result : { ...result, startedAt };
    const { health, transition } = decide(
      this.health,
      observation,
      this.target,
      now,
      this.target.id,
    );
    if (transition && queueFull) return this.putOff(observation, offset, transition);
    const streakStartedBefore = this.health.streak?.startedAt === transition?.at;
    if (health.streak?.count === 1) this.streakOffset = offset;
    const outageStart = this.health.state === "down" ? this.health.since : null;
    this.health = health;
    // a put-off decision that is not confirmed again is over; the next one is counted anew
    this.putOffNow = false;
    if (!transition) return { kind: "none", startedAt, failed: result.result === "failed" };
    const at = this.claimAt(transition.at);
    // `since` is the `at` recorded, as a restart or a takeover restores it: an outage's end,
    // log line, metric and alert are all measured from the start the ledger holds
    if (at !== transition.at) this.health = { ...this.health, since: at };
    // the recorded `at` and its probe's monotonic start fix the base it is read on; for a
    // →down it is the base its end is measured on
    const atOffset = streakStartedBefore ? this.streakOffset : offset;
    const wallOffset = at - transition.at + atOffset;
    this.downOffset = transition.to === "down" ? wallOffset : null;
    return { kind: "decided", transition: { ...transition, at }, outageStart, wallOffset };
  }

  /** What attribution reads of it: its decided state and sampling bounds. */
  subject(): AttributionSubject {
    const down = this.health.state === "down";
    return {
      id: this.target.id,
      dependsOn: this.target.dependsOn,
      state: this.health.state,
      downSince: down ? this.health.since : null,
      lastOkAt: lastOkAt(this.health),
      lastFailedAt: down ? lastFailedAt(this.health) : null,
    };
  }

  /** What a dependant's page hold reads of it as an upstream. */
  upstreamVerdict(): UpstreamVerdict {
    return {
      id: this.target.id,
      dependsOn: this.target.dependsOn,
      downCommitted: this.committed.state === "down",
      lastOkAt: lastOkAt(this.health),
    };
  }

  /**
   * Leaves the configuration: a down target's outage ends now, `removed`, on its start's base
   * (so it lasts what the monotonic clock measured). `wallOffset`: wall − monotonic now.
   */
  removal(now: number, wallOffset: number): { transition: Transition; wallOffset: number } | null {
    if (this.health.state !== "down") return null;
    const monotonicNow = now - wallOffset;
    const offset = this.recordedOffset(wallOffset);
    // the clock's own reading unless it stepped since the outage began
    const at = this.claimAt(offset === wallOffset ? now : monotonicNow + offset);
    const transition: Transition = {
      targetId: this.target.id,
      from: "down",
      to: "unknown",
      at,
      detectedAt: now,
      previousProbeAt: lastFailedAt(this.health),
      reason: "removed",
      detail: "target removed from the configuration",
    };
    return { transition, wallOffset: at - monotonicNow };
  }

  /**
   * The removal of a target the ledger holds down and the configuration no longer has: no
   * probe of it in this run, so when it really stopped being down is not known.
   */
  static orphanRemoval(latest: StoredTransition, now: number): Transition {
    const at = Math.max(now, latest.at);
    return {
      targetId: latest.targetId,
      from: "down",
      to: "unknown",
      at,
      detectedAt: at,
      previousProbeAt: null,
      reason: "removed",
      detail: "target no longer in the configuration",
    };
  }

  /** The `at` a transition is queued with: never before the target's previous one. */
  claimAt(at: number): number {
    this.lastAt = Math.max(at, this.lastAt);
    return this.lastAt;
  }

  /** A committed transition of this target becomes what the world may see. */
  committedTo(transition: StoredTransition): void {
    const blockedBy = transition.to === "down" ? transition.blockedBy : null;
    this.committed = { state: transition.to, since: transition.at, transition, blockedBy };
  }

  /** A committed change of its outage's attribution. */
  reattributed(blockedBy: string | null): void {
    this.committed = { ...this.committed, blockedBy };
  }

  /** A refused batch dropped what was decided: back to the committed state. */
  rewind(wallOffset: number): void {
    const { state, since, transition } = this.committed;
    this.health = restoreHealth(state, since, transition?.previousProbeAt ?? null);
    this.lastAt = since ?? Number.NEGATIVE_INFINITY;
    this.downOffset = state === "down" ? wallOffset : null;
  }

  /**
   * The wall offset a probe's start is recorded with: its own, except while down after the
   * wall clock stepped, where the outage's base keeps its duration what was really measured.
   */
  private recordedOffset(startOffset: number): number {
    const base = this.health.state === "down" ? this.downOffset : null;
    if (base === null || Math.abs(startOffset - base) <= WALL_CLOCK_JUMP_MS) return startOffset;
    return base;
  }

  /**
   * The queue is full: the transition is not queued, and the target stays in its last queued
   * state with the streak that decided it kept whole, so the next probe that confirms it
   * decides it again with its true start (a flap that ends meanwhile is never recorded).
   * Every target's chain stays consistent; nothing decided-but-dropped is ever published.
   */
  private putOff(observation: ProbeResult, offset: number, transition: Transition): Judgement {
    const held = decide(this.health, observation, NEVER, transition.detectedAt, this.target.id);
    // leaving unknown needs one probe whatever the thresholds: nothing to keep then
    if (!held.transition) {
      if (held.health.streak?.count === 1) this.streakOffset = offset;
      this.health = held.health;
    }
    const first = !this.putOffNow;
    this.putOffNow = true;
    return { kind: "put-off", transition, first };
  }
}
