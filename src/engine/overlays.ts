import type { MaintenanceWindow } from "../config/types.js";
import {
  activeMaintenance,
  type MaintenanceSubject,
  maintenanceIntervals,
} from "../health/maintenance.js";
import type { Transition } from "../health/types.js";
import type { Gap, NewTransition } from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import { BlindDetector } from "./blind.js";
import type { TargetRuntime } from "./target-runtime.js";

/**
 * What lies over a target's state (docs/states-and-outages.md): the maintenance windows it is in, and whether the
 * monitor itself is blind (every canary failing), seen at each probe's start. Both change on
 * reload (`setPolicy`).
 */
export class Overlays {
  private readonly blindness: BlindDetector;

  constructor(
    private windows: readonly MaintenanceWindow[],
    canaries: readonly string[],
  ) {
    this.blindness = new BlindDetector(canaries);
  }

  setPolicy(canaries: readonly string[], windows: readonly MaintenanceWindow[]): void {
    this.blindness.setCanaries(canaries);
    this.windows = windows;
  }

  /** Whether the target entered or left a window at this probe's start (then returns the new state). */
  maintenanceChange(rt: TargetRuntime, at: number): boolean | null {
    const inside =
      this.windows.length > 0 && activeMaintenance(this.windows, rt.target, at) !== null;
    if (inside === rt.inMaintenance) return null;
    rt.inMaintenance = inside;
    return inside;
  }

  /** A canary's result: the blind gap to open or close when blindness changed, else null. */
  blindChange(targetId: string, result: ProbeResult, instance: string): BlindChange | null {
    const change = this.blindness.observe(targetId, result);
    if (!change) return null;
    if (change.change === "left") return { blind: false, at: change.at, gap: { close: change.at } };
    const gap: Gap = { instance, kind: "blind", start: change.at, end: null };
    return { blind: true, at: change.at, gap: { open: gap } };
  }

  /** While blind, a failure that started after blindness began decides nothing. */
  ignores(result: ProbeResult): boolean {
    return this.blindness.ignores(result);
  }

  get blind(): { since: number; canaries: string[] } | null {
    const since = this.blindness.since;
    return since === null ? null : { since, canaries: this.blindness.canaries };
  }

  /**
   * A decided transition as the ledger takes it. Its maintenance flag: →down, whether `at` is
   * inside a window; out of down, whether the outage [outageStart, at) overlapped one.
   */
  queued(
    target: MaintenanceSubject & { service: string; site: string },
    transition: Transition,
    outageStart: number | null,
  ): NewTransition {
    const { at } = transition;
    return {
      ...transition,
      detectedAt: Math.max(transition.detectedAt, at),
      // a bound is never after the time it bounds (`at` may have been moved up to keep order)
      previousProbeAt:
        transition.previousProbeAt === null ? null : Math.min(transition.previousProbeAt, at),
      service: target.service,
      site: target.site,
      // attributed for the whole batch at commit time
      blockedBy: null,
      maintenance: this.maintenanceOf(target, transition.from === "down" ? outageStart : null, at),
    };
  }

  private maintenanceOf(
    target: MaintenanceSubject,
    outageStart: number | null,
    at: number,
  ): boolean {
    if (this.windows.length === 0) return false;
    if (outageStart === null) return activeMaintenance(this.windows, target, at) !== null;
    return maintenanceIntervals(this.windows, target, outageStart, at).length > 0;
  }
}

/** The blindness a written gap records: entered at its start, left at its end. */
export function blindOf(gap: BlindChange["gap"]): { blind: boolean; at: number } {
  return "open" in gap ? { blind: true, at: gap.open.start } : { blind: false, at: gap.close };
}

export interface BlindChange {
  blind: boolean;
  at: number;
  gap: { open: Gap } | { close: number };
}
