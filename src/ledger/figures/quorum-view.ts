import type { Ledger, OutageRecord, QuorumLedger } from "../ledger.js";

/**
 * What a quorum group's report adds (docs/quorum.md): each target's down time for the group and
 * for every vantage in the window (a vantage × target matrix), and the disagreements: a
 * vantage's outages that no group outage overlaps, a path problem between that vantage and the
 * target rather than an outage of it.
 */

export interface QuorumView {
  group: string;
  /** The group's vantages, by name. */
  vantages: string[];
  /** Targets down for the group or any vantage in the window, by id. */
  rows: QuorumRow[];
  disagreements: Disagreement[];
}

export interface QuorumRow {
  targetId: string;
  groupDownSeconds: number;
  /** Down seconds in the window as each vantage saw it, in `vantages` order. */
  vantageDownSeconds: number[];
}

export interface Disagreement {
  targetId: string;
  vantage: string;
  start: number;
  end: number | null;
  /** In the window. */
  seconds: number;
}

export async function readQuorumView(
  ledger: Ledger & QuorumLedger,
  group: string,
  window: { since: number; until: number },
  now: number,
): Promise<QuorumView> {
  const vantages = [...new Set((await ledger.quorumMembers(group)).map((m) => m.vantage))].sort();
  const end = Math.min(window.until, now);
  const inWindow = (o: OutageRecord) => overlap(o.start, o.end ?? now, window.since, end);
  const read = (instance: string) => ledger.outages({ instance, ...window });
  const groupOutages = await read(`quorum/${group}`);
  const byVantage = await Promise.all(vantages.map(read));
  const rows = new Map<string, QuorumRow>();
  const row = (targetId: string) => {
    let found = rows.get(targetId);
    if (found === undefined) {
      found = { targetId, groupDownSeconds: 0, vantageDownSeconds: vantages.map(() => 0) };
      rows.set(targetId, found);
    }
    return found;
  };
  for (const o of groupOutages) row(o.targetId).groupDownSeconds += inWindow(o) / 1000;
  const disagreements: Disagreement[] = [];
  byVantage.forEach((outages, i) => {
    for (const o of outages) {
      const seconds = inWindow(o) / 1000;
      const cells = row(o.targetId).vantageDownSeconds;
      cells[i] = (cells[i] ?? 0) + seconds;
      const covered = groupOutages.some(
        (g) =>
          g.targetId === o.targetId && overlap(o.start, o.end ?? now, g.start, g.end ?? now) > 0,
      );
      if (!covered) {
        const vantage = vantages[i] as string;
        disagreements.push({ targetId: o.targetId, vantage, start: o.start, end: o.end, seconds });
      }
    }
  });
  return {
    group,
    vantages,
    rows: [...rows.values()].sort((a, b) => (a.targetId < b.targetId ? -1 : 1)),
    disagreements: disagreements.sort((a, b) => a.start - b.start),
  };
}

/** Milliseconds [aStart, aEnd) and [bStart, bEnd) share. */
function overlap(aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  return Math.max(0, Math.min(aEnd, bEnd) - Math.max(aStart, bStart));
}
