import type { Ledger, StoredTransition } from "./ledger.js";

/** What a daemon starts from, or an HA standby adopts: each target's committed state. */
export interface CommittedView {
  /** The latest transition of each target of the chain. */
  latest: StoredTransition[];
  /**
   * Each open outage's attribution now: a late cause or a release may have changed it after
   * its →down, and only the outage row knows (null: its own, or released).
   */
  blockedBy: Map<string, string | null>;
}

export async function readCommittedView(ledger: Ledger, chain: string): Promise<CommittedView> {
  const latest = await ledger.latestTransitions(chain);
  const open = await ledger.outages({ instance: chain, open: true });
  const blockedBy = new Map(
    open.map((o) => [o.targetId, o.blockedUntil === null ? o.blockedBy : null]),
  );
  return { latest, blockedBy };
}
