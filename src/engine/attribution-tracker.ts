import { attributeOutages, type DependencyNode } from "../health/attribution.js";
import type { AttributionChange, NewTransition } from "../ledger/ledger.js";

/**
 * What the tracker needs of a target: its dependencies and its decided state (committed plus
 * pending), so a batch is attributed as a whole.
 */
export interface AttributionSubject extends DependencyNode {
  /** While down: start of its last failed probe (null: none seen in this run). */
  lastFailedAt: number | null;
}

export interface BatchAttribution {
  /** blocked_by for each down target after the batch. */
  next: Map<string, string | null>;
  /** Changes for targets that were already down (committed) before the batch. */
  changes: AttributionChange[];
  /** The dependency version it was computed with. */
  version: number;
  /** Releases waiting for the dependant to be seen failing: target → upstream's recovery. */
  releases: Map<string, number>;
}

/**
 * Keeps each down target's `blocked_by` as committed, and works out a batch's attributions:
 * →down transitions get theirs on the transition; targets already down get a change when a
 * late-detected upstream turns out to be a possible cause, or when their upstream recovers.
 *
 * A release is sampling-aware as attribution is: when the upstream recovers (its first good
 * probe), a dependant still down becomes its own outage only once it is seen failing at or
 * after that probe. One not probed since may have recovered with the upstream (a data centre
 * coming back, its dependants' first good probes falling after the core's): it stays blocked,
 * and its outage ends blocked if its recovery follows.
 */
export class AttributionTracker {
  private committed = new Map<string, string | null>();
  /** Committed view of releases waiting for the dependant to be seen failing. */
  private releases = new Map<string, number>();
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

  /**
   * Whether a failed probe of `targetId` starting at `startedAt` settles a release waiting on
   * it: the engine then commits the attribution change even without a transition.
   */
  releaseDue(targetId: string, startedAt: number): boolean {
    const from = this.releases.get(targetId);
    return from !== undefined && startedAt >= from;
  }

  /** `force`: attribute even though the batch moves nothing into or out of down. */
  attribute(
    subjects: Iterable<AttributionSubject>,
    batch: NewTransition[],
    now: number,
    force = false,
  ): BatchAttribution {
    // Attribution depends only on which targets are down and since when: a batch that moves
    // nothing into or out of down (and no reload since) cannot change it. Skips a pass over
    // every target on the commit path.
    const version = this.dependencyVersion;
    const stale = version !== this.committedVersion;
    if (!stale && !force && !batch.some((t) => t.to === "down" || t.from === "down")) {
      return { next: this.committed, changes: [], version, releases: this.releases };
    }
    const list = [...subjects];
    const next = attributeOutages(list);
    const recoveredAt = new Map<string, number>();
    for (const t of batch) {
      if (t.to === "down") t.blockedBy = next.get(t.targetId) ?? null;
      if (t.from === "down") recoveredAt.set(t.targetId, t.at);
    }
    const byId = new Map(list.map((subject) => [subject.id, subject]));
    const changes: AttributionChange[] = [];
    const releases = new Map<string, number>();
    for (const [targetId, before] of this.committed) {
      if (!next.has(targetId)) continue;
      const after = next.get(targetId) ?? null;
      if (after === before) continue;
      if (after !== null || before === null) {
        changes.push({ targetId, at: now, blockedBy: after });
        continue;
      }
      // released: its own outage from the upstream's first good probe, once seen failing since
      const from = this.releases.get(targetId) ?? recoveredAt.get(before) ?? now;
      if (seenFailingSince(byId.get(targetId), from)) {
        changes.push({ targetId, at: from, blockedBy: null });
      } else {
        next.set(targetId, before);
        releases.set(targetId, from);
      }
    }
    return { next, changes, version, releases };
  }

  /** The batch is durable: its attributions become the committed view. */
  committedBatch({ next, version, releases }: BatchAttribution): void {
    this.committedVersion = version;
    this.committed = next;
    this.releases = releases;
  }
}

function seenFailingSince(subject: AttributionSubject | undefined, from: number): boolean {
  const lastFailedAt = subject?.state === "down" ? subject.lastFailedAt : null;
  return lastFailedAt !== null && lastFailedAt >= from;
}
