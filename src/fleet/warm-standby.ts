import type { CommittedState, CommittedTransition } from "../engine/types.js";
import type { Adoption, Takeover, TargetSnapshot } from "../engine/warm-standby-port.js";
import type { Transition } from "../health/types.js";
import type { AttributionChange, StoredTransition } from "../ledger/ledger.js";

/**
 * PURE: what a warm standby of an HA pair adopts from the ledger, and what it writes when it
 * takes over. The standby probes and decides like the leader (its state machine stays warm)
 * but writes nothing; it shows only what the ledger holds.
 */

/**
 * The committed view of each target from the group's latest transitions and its open outages'
 * attribution (`blockedBy`); `now` times a change of attribution learnt by this refresh.
 */
export function adoption(
  targets: readonly TargetSnapshot[],
  latest: readonly StoredTransition[],
  blockedBy: ReadonlyMap<string, string | null>,
  now: number,
): Adoption {
  const states = new Map<string, CommittedState>();
  const fresh: CommittedTransition[] = [];
  const attributions: AttributionChange[] = [];
  const byTarget = new Map(latest.map((t) => [t.targetId, t]));
  for (const { id, committed: before } of targets) {
    const transition = byTarget.get(id);
    // committed by the leader since the last refresh
    const isFresh = transition !== undefined && transition.id !== before.transition?.id;
    const state = transition?.to ?? before.state;
    const blocked = state === "down" ? (blockedBy.get(id) ?? null) : null;
    if (isFresh) {
      const outageStart =
        transition.from === "down" && before.state === "down" ? before.since : null;
      fresh.push({ ...transition, outageStart, waitingOn: [] });
      states.set(id, { state, since: transition.at, transition, blockedBy: blocked });
    } else if (state === "down" && blocked !== before.blockedBy) {
      states.set(id, { ...before, blockedBy: blocked });
      attributions.push({ targetId: id, at: now, blockedBy: blocked });
    }
  }
  return { states, fresh, attributions };
}

/**
 * For each target whose warm state differs from the committed one, the move from the
 * committed state to the warm one at the start of the standby's own streak (never before the
 * committed `at`). The same state writes nothing (no duplicate); a standby with no verdict of
 * its own yet (unknown) says nothing against the committed state.
 */
export function takeover(targets: readonly TargetSnapshot[], now: number): Takeover {
  const aligned: Takeover["aligned"] = [];
  const writes: Takeover["writes"] = [];
  for (const { id, committed, health, warm } of targets) {
    if (health.state === committed.state) {
      // the committed `at` is the fact: an outage the old leader opened ends from its start
      aligned.push({ id, since: committed.since });
      continue;
    }
    if (health.state === "unknown") continue;
    const since = committed.since ?? Number.NEGATIVE_INFINITY;
    const at = Math.max(health.since ?? now, since);
    const own = warm?.to === health.state ? warm : null;
    const transition: Transition = {
      targetId: id,
      from: committed.state,
      to: health.state,
      at,
      detectedAt: Math.max(warm?.detectedAt ?? now, at),
      previousProbeAt: own?.previousProbeAt ?? null,
      reason: own?.reason ?? null,
      detail: own?.detail ?? null,
    };
    writes.push({
      id,
      transition,
      outageStart: committed.state === "down" ? committed.since : null,
    });
  }
  return { aligned, writes };
}
