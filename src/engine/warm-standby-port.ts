import type { HealthState } from "../health/state-machine.js";
import type { Transition } from "../health/types.js";
import type { AttributionChange } from "../ledger/ledger.js";
import type { AttributionTracker } from "./attribution-tracker.js";
import type { CommitQueue } from "./commit-queue.js";
import type { EngineEvent } from "./events.js";
import type { PageHoldKeeper } from "./page-hold-keeper.js";
import type { TargetRuntime } from "./target-runtime.js";
import type { CommittedState, CommittedTransition } from "./types.js";

/**
 * The engine's side of an HA pair: a standby probes and decides (its state machine stays
 * warm) but writes nothing; it shows what the ledger holds and, taking over, writes where its
 * own view differs. What to adopt and what to write is decided in src/fleet/warm-standby.ts;
 * this applies it.
 */

/** One target as the engine holds it, for the standby's decisions. */
export interface TargetSnapshot {
  id: string;
  committed: CommittedState;
  /** The standby's own decided health. */
  health: HealthState;
  /** Its last decided transition as a standby, if any. */
  warm: Transition | undefined;
}

/** The group's committed facts as a standby adopts them. */
export interface Adoption {
  /** The new committed view of each target whose view changed. */
  states: Map<string, CommittedState>;
  /** Transitions the leader committed since the last refresh, as they are published. */
  fresh: CommittedTransition[];
  /** Changes of blocked_by of targets whose state did not change. */
  attributions: AttributionChange[];
}

/** What a new leader writes: per target, the move from the committed state to its own. */
export interface Takeover {
  /** Targets whose own state is the committed one: their chain continues from its `at`. */
  aligned: { id: string; since: number | null }[];
  /** The moves to write, with the start of the outage each ends (out of down). */
  writes: { id: string; transition: Transition; outageStart: number | null }[];
}

interface WarmStandbyParts {
  targets: ReadonlyMap<string, TargetRuntime>;
  queue: CommitQueue;
  holds: PageHoldKeeper;
  attribution: AttributionTracker;
  emit(event: EngineEvent): void;
  enqueue(rt: TargetRuntime, transition: Transition, outageStart: number | null): void;
}

export class WarmStandby {
  /** False on a standby: it decides, the leader writes. */
  writes = true;
  /** On a standby, each target's last decided transition: what a takeover may write. */
  private readonly warm = new Map<string, Transition>();

  constructor(private readonly parts: WarmStandbyParts) {}

  decidedWarm(transition: Transition): void {
    this.warm.set(transition.targetId, transition);
  }

  /** Stand by: what was decided and not committed is dropped (the leader writes its own). */
  standby(): void {
    this.writes = false;
    this.parts.queue.clear();
    // the leader pages; a standby holds nothing
    const released = this.parts.holds.clear();
    if (released.length > 0) this.parts.emit({ kind: "holds", changes: released });
  }

  snapshot(): TargetSnapshot[] {
    return [...this.parts.targets].map(([id, rt]) => ({
      id,
      committed: rt.committed,
      health: rt.health,
      warm: this.warm.get(id),
    }));
  }

  /** The ledger's committed view, adopted and published as the leader committed it. */
  adopt({ states, fresh, attributions }: Adoption): void {
    for (const [id, committed] of states) {
      const rt = this.parts.targets.get(id);
      if (rt) rt.committed = committed;
    }
    for (const [id, rt] of this.parts.targets) {
      if (rt.committed.state === "down") this.parts.attribution.restore(id, rt.committed.blockedBy);
    }
    if (fresh.length > 0) {
      this.parts.emit({
        kind: "committed",
        transitions: fresh,
        attributions: [],
        holds: [],
        adopted: true,
      });
    }
    if (attributions.length > 0) {
      this.parts.emit({
        kind: "committed",
        transitions: [],
        attributions,
        holds: [],
        adopted: true,
      });
    }
  }

  /** Writes again: the chains continue from the committed view, and what differs is written. */
  takeOver({ aligned, writes }: Takeover): void {
    this.writes = true;
    for (const { id, since } of aligned) {
      const rt = this.parts.targets.get(id);
      if (!rt) continue;
      // the committed `at` is the fact: an outage the old leader opened ends from its start
      rt.health = { ...rt.health, since };
      rt.claimAt(since ?? Number.NEGATIVE_INFINITY);
    }
    for (const { id, transition, outageStart } of writes) {
      const rt = this.parts.targets.get(id);
      if (!rt) continue;
      rt.claimAt(rt.committed.since ?? Number.NEGATIVE_INFINITY);
      this.parts.enqueue(rt, { ...transition, at: rt.claimAt(transition.at) }, outageStart);
    }
    this.warm.clear();
  }
}
