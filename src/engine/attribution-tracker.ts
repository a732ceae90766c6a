import { attributeOutages, type DependencyNode } from "../health/attribution.js";
import type { AttributionChange, NewTransition } from "../ledger/ledger.js";

/**
 * What the tracker needs of a target: its dependencies and its decided state (committed plus
 * pending), so a batch is attributed as a whole.
 */
export type AttributionSubject = DependencyNode;

export interface BatchAttribution {
  /** blocked_by for each down target after the batch. */
  next: Map<string, string | null>;
  /** Changes for targets that were already down (committed) before the batch. */
  changes: AttributionChange[];
  /** The dependency version it was computed with. */
  version: number;
}

/**
 * Keeps each down target's `blocked_by` as committed, and works out a batch's attributions:
 * →down transitions get theirs on the transition; targets already down get a change when a
 * late-detected upstream turns out to be a possible cause, or when their upstream recovers.
 */
export class AttributionTracker {
  private committed = new Map<string, string | null>();
  /** Bumped when targets' dependencies may have changed (a reload). */
  private dependencyVersion = 0;
  /** The dependency version the committed attributions were computed with. */
  private committedVersion = 0;

  /** A target's settings changed: its depends_on may differ from what was attributed. */
  invalidate(): void {
    this.dependencyVersion++;
  }

  /** Seeds the committed view after a restart (from the ledger's open outages). */
  restore(targetId: string, blockedBy: string | null): void {
    this.committed.set(targetId, blockedBy);
  }

  blockedBy(targetId: string): string | null {
    return this.committed.get(targetId) ?? null;
  }

  attribute(
    subjects: Iterable<AttributionSubject>,
    batch: NewTransition[],
    now: number,
  ): BatchAttribution {
    // Attribution depends only on which targets are down and since when: a batch that moves
    // nothing into or out of down (and no reload since) cannot change it. Skips a pass over
    // every target on the commit path.
    const version = this.dependencyVersion;
    const stale = version !== this.committedVersion;
    if (!stale && !batch.some((t) => t.to === "down" || t.from === "down")) {
      return { next: this.committed, changes: [], version };
    }
    const next = attributeOutages([...subjects]);
    const recoveredAt = new Map<string, number>();
    for (const t of batch) {
      if (t.to === "down") t.blockedBy = next.get(t.targetId) ?? null;
      if (t.from === "down") recoveredAt.set(t.targetId, t.at);
    }
    const changes: AttributionChange[] = [];
    for (const [targetId, before] of this.committed) {
      if (!next.has(targetId)) continue;
      const after = next.get(targetId) ?? null;
      if (after === before) continue;
      // Released: the outage is its own from the upstream's first good probe.
      const at = after === null && before !== null ? (recoveredAt.get(before) ?? now) : now;
      changes.push({ targetId, at, blockedBy: after });
    }
    return { next, changes, version };
  }

  /** The batch is durable: its attributions become the committed view. */
  committedBatch({ next, version }: BatchAttribution): void {
    this.committedVersion = version;
    this.committed = next;
  }
}
