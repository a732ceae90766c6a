import type { Clock } from "./clock.js";

/** A step of the wall clock against the monotonic one: NTP correcting it, an operator setting it. */
export interface WallClockJump {
  /** Positive: the wall clock jumped forward. */
  jumpMs: number;
  /** Wall time when the jump was seen (after it). */
  at: number;
}

/** Drift below this is NTP slewing, not a step; a step is what distorts recorded times. */
export const WALL_CLOCK_JUMP_MS = 1000;

/**
 * Watches the offset between wall and monotonic time. The offset is constant while the wall
 * clock runs true; a step moves it by the size of the step between two checks.
 */
export class WallClockWatch {
  private offset: number;

  constructor(
    private readonly clock: Clock,
    private readonly thresholdMs = WALL_CLOCK_JUMP_MS,
  ) {
    this.offset = clock.now() - clock.monotonic();
  }

  /** The wall-clock offset (now − monotonic) the last check settled on. */
  get currentOffset(): number {
    return this.offset;
  }

  /** Reads both clocks; a jump is reported once, then the new offset is the reference. */
  check(): WallClockJump | null {
    const now = this.clock.now();
    const offset = now - this.clock.monotonic();
    const jumpMs = offset - this.offset;
    // always follow: slow slewing between checks must not add up to a false jump
    this.offset = offset;
    return Math.abs(jumpMs) <= this.thresholdMs ? null : { jumpMs, at: now };
  }
}
