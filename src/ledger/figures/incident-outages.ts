import type { Ledger, OutageRecord, TargetFilter } from "../ledger.js";
import type { Window } from "../outages.js";
import type { TargetHistory, TargetIdentity } from "./availability.js";
import { targetKey } from "./availability.js";
import { type OutageFacts, outageFacts } from "./outage-facts.js";
import {
  extremes,
  impactSeconds,
  type WindowOutage,
  type WindowOutages,
  windowOutage,
} from "./window-outages.js";

/**
 * The outage records an incident report reads beside its figures: those open at the window's
 * end, those it lists when there are too many to list all, and its summary's extremes. Each is
 * a few indexed seeks, never a range over every outage of a month.
 */

export interface IncidentSummary {
  /** The outage that started first (possibly before the window). */
  firstFailure: OutageFacts | null;
  /** The outage that ended last within the window. */
  lastRecovery: OutageFacts | null;
  /** Outages still open at the window's end. */
  openAtEnd: OutageFacts[];
  /** Time in the window when at least one target was down (the union over targets). */
  impactSeconds: number;
  affectedTargetCount: number;
  /** Targets that spent some of the window degraded. */
  degradedTargetCount: number;
  /** The longest outage by its whole duration (an open one runs to now). */
  longest: OutageFacts | null;
}

/**
 * The records of outages that start before `until` and do not end before it, by start then id:
 * the open ones (an index on the open ones), then one seek for each target whose history ends
 * down without an open record (closed at or after `until`). One range over the start index
 * would read every earlier outage: half a million for a month.
 */
export async function outagesAtEnd(
  ledger: Ledger,
  filter: TargetFilter,
  histories: readonly TargetHistory[],
  until: number,
): Promise<OutageRecord[]> {
  const open = await ledger.outages({ ...filter, open: true, until });
  const openTargets = new Set(open.map(targetKey));
  const closedLater = histories.filter(
    ({ identity, history: { to } }) =>
      to[to.length - 1] === "down" && !openTargets.has(targetKey(identity)),
  );
  const found = await Promise.all(
    closedLater.map(async ({ identity: { instance, targetId }, history: { at } }) => {
      const records = await ledger.outages({ instance, targetId, since: until - 1, until });
      // the one its last →down opened (and so of the service and site the filter matched)
      return records.filter((record) => record.start === at[at.length - 1]);
    }),
  );
  return [...open, ...found.flat()].sort((a, b) => a.start - b.start || a.id - b.id);
}

/** The records of `outages` (one seek each), by start then id. */
export async function recordsOf(
  ledger: Ledger,
  outages: readonly WindowOutage[],
): Promise<OutageRecord[]> {
  const found = await Promise.all(
    outages.map(async ({ target, start }) => {
      const { instance, targetId } = target;
      const records = await ledger.outages({ instance, targetId, since: start, until: start + 1 });
      return records.filter((record) => record.start === start);
    }),
  );
  return found.flat().sort((a, b) => a.start - b.start || a.id - b.id);
}

/** The summary's extremes are read as records: the first of the ledger's order wins a tie. */
export async function summarize(
  ledger: Ledger,
  inWindow: WindowOutages,
  window: Window,
  now: number,
  facts: (records: readonly OutageRecord[]) => Promise<OutageFacts[]>,
  atEnd: readonly OutageFacts[],
): Promise<IncidentSummary> {
  const { start } = inWindow;
  const extreme = extremes(inWindow, window.until, now);
  // of tied outages the ledger lists the earliest start first (then the lowest id): read those
  const startOf = (i: number) => start[i] as number;
  const firstOf = async (tied: readonly number[]) => {
    const earliest = tied.reduce((min, i) => Math.min(min, startOf(i)), Number.POSITIVE_INFINITY);
    const chosen = tied
      .filter((i) => startOf(i) === earliest)
      .map((i) => windowOutage(inWindow, i));
    return (await facts(await recordsOf(ledger, chosen)))[0] ?? null;
  };
  return {
    firstFailure: await firstOf(extreme.firstStarted),
    lastRecovery: await firstOf(extreme.lastEnded),
    openAtEnd: atEnd.filter((o) => o.end === null || o.end > window.until),
    impactSeconds: impactSeconds(inWindow, window),
    affectedTargetCount: inWindow.affectedTargetCount,
    degradedTargetCount: 0, // from the histories, by the caller
    longest: await firstOf(extreme.longest),
  };
}

export async function outagesOfTargets(
  ledger: Ledger,
  targets: readonly TargetIdentity[],
  window: Window,
  now: number,
): Promise<OutageFacts[]> {
  const lists = await Promise.all(
    targets.map(({ instance, targetId }) => ledger.outages({ instance, targetId, ...window })),
  );
  // the records of every target first, then their figures with the gaps read once
  const instance =
    new Set(targets.map((t) => t.instance)).size === 1 ? targets[0]?.instance : undefined;
  return outageFacts(ledger, lists.flat(), instance, now);
}
