import type { Ledger, OutageRecord } from "../ledger.js";
import { blindSecondsIn, type ClosedInterval, mergeIntervals } from "../outages.js";
import { type ReportQuery, targetFilterOf } from "./availability.js";
import { unwatchedByInstance } from "./unwatched.js";

/**
 * Outage records with their figures as of now (docs/states-and-outages.md): whole duration, and the time no daemon
 * was watching; listed all at once or a page at a time.
 */

const MS_PER_SECOND = 1000;

/** An outage record with its figures as of `now` (docs/states-and-outages.md). */
export interface OutageFacts extends OutageRecord {
  /** Whole duration in seconds (ms precision); an open outage's runs to now. */
  durationSeconds: number;
  /** How much of it no daemon was watching. */
  blindSeconds: number;
}

/**
 * Outages overlapping [since, until) (open ones only with `open: true`, ended ones only with
 * `open: false`), in the ledger's order (start, then id), with duration and blind seconds.
 */
export async function listOutages(
  ledger: Ledger,
  query: ReportQuery & { open?: boolean },
  now: number,
): Promise<OutageFacts[]> {
  const outages: OutageFacts[] = [];
  for await (const page of outagePages(ledger, query, now)) outages.push(...page);
  return outages;
}

/** Outages per page of a listing: half a million need not be held at once. */
export const OUTAGE_PAGE_SIZE = 10_000;

/** As listOutages, a page at a time, each read after the previous one was consumed. */
export async function* outagePages(
  ledger: Ledger,
  query: ReportQuery & { open?: boolean },
  now: number,
  pageSize = OUTAGE_PAGE_SIZE,
): AsyncGenerator<OutageFacts[]> {
  const { since, until, open } = query;
  const filter = targetFilterOf(query);
  let gaps: Map<string, ClosedInterval[]> | null = null;
  let after: { start: number; id: number } | undefined;
  for (;;) {
    const page = await ledger.outages({ ...filter, open, since, until, after, limit: pageSize });
    const last = page[page.length - 1];
    if (last === undefined) return;
    // the first page starts with the earliest outage: the gaps from there on serve every page
    gaps ??= await mergedGaps(ledger, query.instance, Math.min(page[0]?.start ?? now, now), now);
    const merged = gaps;
    const none: ClosedInterval[] = [];
    yield page.map((outage) => factsOf(outage, merged.get(outage.instance) ?? none, now));
    if (page.length < pageSize) return;
    after = { start: last.start, id: last.id };
  }
}

/** `outages` with their duration and blind seconds as of `now`, in the same order. */
export async function outageFacts(
  ledger: Ledger,
  outages: readonly OutageRecord[],
  instance: string | undefined,
  now: number,
): Promise<OutageFacts[]> {
  if (outages.length === 0) return [];
  const earliest = outages.reduce((min, outage) => Math.min(min, outage.start), now);
  const merged = await mergedGaps(ledger, instance, earliest, now);
  const none: ClosedInterval[] = [];
  return outages.map((outage) => factsOf(outage, merged.get(outage.instance) ?? none, now));
}

/** Per instance, its unwatched time from `earliest` to now, merged (open ends read as now). */
async function mergedGaps(
  ledger: Ledger,
  instance: string | undefined,
  earliest: number,
  now: number,
): Promise<Map<string, ClosedInterval[]>> {
  const runs = await ledger.runs({ instance });
  const range = { instance, since: earliest, until: Math.max(earliest, now) };
  const merged = new Map<string, ClosedInterval[]>();
  for (const [name, intervals] of await unwatchedByInstance(ledger, runs, range, now)) {
    merged.set(name, mergeIntervals(intervals, now));
  }
  return merged;
}

/** Field by field, not by spread: listings build hundreds of thousands of these. */
function factsOf(
  outage: OutageRecord,
  mergedGaps: readonly ClosedInterval[],
  now: number,
): OutageFacts {
  return {
    id: outage.id,
    instance: outage.instance,
    targetId: outage.targetId,
    service: outage.service,
    site: outage.site,
    start: outage.start,
    end: outage.end,
    detectedAt: outage.detectedAt,
    reason: outage.reason,
    detail: outage.detail,
    blockedBy: outage.blockedBy,
    blockedUntil: outage.blockedUntil,
    maintenance: outage.maintenance,
    endReason: outage.endReason,
    lastOkAt: outage.lastOkAt,
    lastFailedAt: outage.lastFailedAt,
    pageSettledAt: outage.pageSettledAt,
    durationSeconds: Math.max(0, (outage.end ?? now) - outage.start) / MS_PER_SECOND,
    blindSeconds: blindSecondsIn(outage, mergedGaps, now),
  };
}
