import { type LedgerTroubleStatus, ledgerTroubleReason } from "../engine/ledger-trouble.js";

/** What `/-/ready` answers: ready (with an HA member's role), or why not. */
export type Readiness = { ready: true; role?: string } | { ready: false; reason: string };

export interface ReadinessFacts {
  started: boolean;
  stopping: boolean;
  /** Why the ledger takes no writes now, and how much waits for it. */
  ledgerTrouble: (LedgerTroubleStatus & { pending: number }) | null;
  blind: { since: number; canaries: readonly string[] } | null;
  /** An HA member's role and its pair's name. */
  ha: { role: string; pair: string } | null;
}

/** PURE: ready once started, unless stopping, the ledger takes no writes, or the monitor is blind. */
export function readiness(facts: ReadinessFacts): Readiness {
  if (!facts.started) return { ready: false, reason: facts.stopping ? "stopping" : "starting" };
  const reasons: string[] = [];
  const trouble = facts.ledgerTrouble;
  if (trouble) reasons.push(ledgerTroubleReason(trouble, trouble.pending));
  const blind = facts.blind;
  if (blind) {
    const since = new Date(blind.since).toISOString();
    reasons.push(`monitor blind since ${since}: every canary fails (${blind.canaries.join(", ")})`);
  }
  if (reasons.length > 0) return { ready: false, reason: reasons.join("; ") };
  return facts.ha
    ? { ready: true, role: `${facts.ha.role} of HA group ${facts.ha.pair}` }
    : { ready: true };
}
