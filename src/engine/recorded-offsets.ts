import type { TargetState } from "../health/types.js";

interface Queued {
  to: TargetState;
  at: number;
  wallOffset: number;
}

/**
 * The wall offset (wall − monotonic) each queued transition's `at` was recorded on, kept from
 * its decision until the ledger commits it: readers that speak to another clock (Alertmanager)
 * read `at − wallOffset` as the monotonic time of the probe it rests on, whatever steps the
 * wall clock took since. A target's transitions commit in the order they were queued; ones
 * queued before a published one and never published (refused, dropped on standing by) go then.
 */
export class RecordedOffsets {
  private readonly byTarget = new Map<string, Queued[]>();

  note(targetId: string, to: TargetState, at: number, wallOffset: number): void {
    const queued = this.byTarget.get(targetId);
    if (queued) queued.push({ to, at, wallOffset });
    else this.byTarget.set(targetId, [{ to, at, wallOffset }]);
  }

  /** The offset a committed transition was queued with (undefined: not decided here). */
  take(t: { targetId: string; to: TargetState; at: number }): number | undefined {
    const queued = this.byTarget.get(t.targetId);
    if (!queued) return undefined;
    // the ledger stores `at` as given: the same number comes back
    const index = queued.findIndex((q) => q.to === t.to && q.at === t.at);
    if (index < 0) return undefined;
    const offset = queued[index]?.wallOffset;
    queued.splice(0, index + 1);
    if (queued.length === 0) this.byTarget.delete(t.targetId);
    return offset;
  }

  /** A target's queued decisions were dropped (a refused batch rewound it, or it left). */
  forget(targetId: string): void {
    this.byTarget.delete(targetId);
  }
}
