import type { AttributionChange, Gap, NewTransition, PageSettlement } from "../ledger/ledger.js";
import type { JournalRecord } from "../ledger/recovery-journal.js";

/** A blind gap opened, or the one opened last closed at `close` (epoch ms). */
export type GapWrite = { open: Gap } | { close: number };

/** What a commit queue held when it was ended, as it would have written it. */
export interface Uncommitted {
  transitions: readonly NewTransition[];
  /** The attribution changes worked out for `transitions` (or due alone). */
  changes: readonly AttributionChange[];
  settlements: readonly PageSettlement[];
  gaps: readonly GapWrite[];
  /** The gap opened last and committed, which a queued close ends. */
  openGap: { id: number; start: number } | null;
}

/**
 * The recovery journal's records of an ended queue, in the order the queue writes: transitions
 * with their attribution changes and settlements, then gap writes. A close of a gap that is
 * opened in the journal too carries no id: the replay writes the two as one closed gap.
 */
export function journalRecords(queue: Uncommitted): JournalRecord[] {
  const records: JournalRecord[] = [
    ...queue.transitions.map((transition): JournalRecord => ({ kind: "transition", transition })),
    ...queue.changes.map((change): JournalRecord => ({ kind: "attribution", change })),
    ...queue.settlements.map((settlement): JournalRecord => ({ kind: "settlement", settlement })),
  ];
  let openGap = queue.openGap;
  for (const write of queue.gaps) {
    if ("open" in write) {
      records.push({ kind: "gap", gap: write });
      openGap = null;
    } else {
      // a wall clock stepped back must not end a gap before it began
      const close = Math.max(write.close, openGap?.start ?? write.close);
      records.push({ kind: "gap", gap: { close, gapId: openGap?.id ?? null } });
    }
  }
  return records;
}
