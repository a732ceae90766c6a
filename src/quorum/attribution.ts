/**
 * Dependency attribution and the page hold of a group outage (docs/quorum.md), pure. Each
 * vantage already attributes its own outage with probe-level facts (health/attribution.ts) and
 * records when its page stopped waiting for an upstream's verdict; the group follows its
 * vantages: a group outage of T is blocked by A when at least `need` of the vantages that see
 * T down are blocked by A, and A is down for the group too. Its page waits while that could
 * still come about: fewer than `need` vantages have settled T as their own outage, and enough
 * are still waiting (or already blocked) to make a quorum for some upstream.
 */

/** What one down vantage's open outage of the target says. */
export interface VoterOutage {
  vantage: string;
  blockedBy: string | null;
  /** Its page stopped waiting (paged or blocked). */
  settled: boolean;
}

export interface GroupAttribution {
  blockedBy: string | null;
  /** false: the group's page waits for more vantages' verdicts. */
  settled: boolean;
}

export function groupAttribution(
  outages: readonly VoterOutage[],
  need: number,
  isGroupDown: (targetId: string) => boolean,
): GroupAttribution {
  const blockedBy = new Map<string, number>();
  let own = 0;
  let waiting = 0;
  for (const outage of outages) {
    if (!outage.settled) waiting++;
    else if (outage.blockedBy !== null && isGroupDown(outage.blockedBy)) {
      blockedBy.set(outage.blockedBy, (blockedBy.get(outage.blockedBy) ?? 0) + 1);
    } else own++;
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [upstream, count] of [...blockedBy].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (count > bestCount) {
      best = upstream;
      bestCount = count;
    }
  }
  if (best !== null && bestCount >= need) return { blockedBy: best, settled: true };
  if (own >= need) return { blockedBy: null, settled: true };
  // could the vantages still waiting make a quorum blocked by an upstream?
  return { blockedBy: null, settled: waiting + bestCount < need };
}
