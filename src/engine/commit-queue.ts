import type { Transition } from "../health/types.js";
import { isLedgerError } from "../ledger/errors.js";
import type { Ledger, NewTransition, PageSettlement } from "../ledger/ledger.js";
import type { JournalRecord } from "../ledger/recovery-journal.js";
import type { Clock, Timers } from "../time/clock.js";
import type { BatchAttribution } from "./attribution-tracker.js";
import type { EngineEvent } from "./events.js";
import {
  isNoSpace,
  type LedgerOperation,
  LedgerTrouble,
  type LedgerTroubleStatus,
} from "./ledger-trouble.js";
import { RetryBackoff } from "./retry-backoff.js";
import type { CommittedTransition, QueueState } from "./types.js";
import { type GapWrite, journalRecords } from "./uncommitted.js";

export type { GapWrite } from "./uncommitted.js";

/**
 * What the engine decided and the ledger has not accepted yet, written in order: transitions
 * in batches (a mass outage is a few transactions, not thousands) and blind gaps. A write that
 * fails is kept and retried with a capped exponential backoff; one the ledger refuses as
 * inconsistent would be refused for ever, so it is dropped and its targets rewound. The queue
 * is bounded: when full, new decisions are put off by the engine (see `full`).
 */

/** A batch this large is written at once, window or not. */
const MAX_BATCH = 5000;
/** A backlog beyond MAX_BATCH drains in transactions of this size, yielding between them. */
const BACKLOG_CHUNK = 1000;

export const DEFAULT_MAX_PENDING = 100_000;
const DEFAULT_RETRY_MS = 1000;
/** Short enough that a queue drains within seconds of space coming back; a failed commit is cheap. */
const DEFAULT_RETRY_MAX_MS = 5000;
const DEFAULT_REPORT_EVERY_MS = 60_000;
/** How long after a write failed for want of space the WAL is truncated after every write. */
export const LEAN_AFTER_NO_SPACE_MS = 10 * 60_000;

export interface CommitQueueOptions {
  ledger: Ledger;
  runId: number;
  clock: Clock;
  timers: Timers;
  /** Transitions decided within this window of the first share a transaction; 0: this tick. */
  batchWindowMs?: number;
  retryMs?: number;
  retryMaxMs?: number;
  maxPending?: number;
  reportEveryMs?: number;
  /** Works out a batch's attributions just before it is written (`force`: even with none). */
  attribute(batch: NewTransition[], force: boolean): BatchAttribution;
  /** The batch and its attributions are durable: its transitions as stored, in batch order. */
  committed(transitions: CommittedTransition[], attributed: BatchAttribution): void;
  /** The ledger refused a batch: these targets go back to their committed state. */
  refused(targetIds: ReadonlySet<string>): void;
  /** A gap write is durable. */
  gapWritten(write: GapWrite): void;
  emit(event: EngineEvent): void;
}

/** Inconsistent input the ledger will never accept, unlike I/O errors worth retrying. */
function isRefusal(error: unknown): boolean {
  return (
    isLedgerError(error, "LEDGER_TRANSITION_CHAIN") ||
    isLedgerError(error, "LEDGER_TRANSITION_ORDER") ||
    isLedgerError(error, "LEDGER_INVALID") ||
    isLedgerError(error, "LEDGER_GAP_CLOSED") ||
    isLedgerError(error, "LEDGER_GAP_NOT_FOUND")
  );
}

export class CommitQueue {
  private pending: NewTransition[] = [];
  /** Start of the outage each queued transition out of `down` ends. */
  private readonly outageStarts = new WeakMap<NewTransition, number>();
  private gaps: GapWrite[] = [];
  /** An attribution change is due without a transition (a release seen to be due). */
  private attributionDue = false;
  /** Held pages that stopped waiting, written with the next batch (or alone). */
  private settlements: PageSettlement[] = [];
  private writing: Promise<void> | null = null;
  /** Size of the batch being written (part of the queue until it is committed). */
  private writingCount = 0;
  private scheduled = false;
  private readonly retry: RetryBackoff;
  private maxPending: number;
  private putOffCount = 0;
  private readonly trouble: LedgerTrouble;
  /** The gap opened last and not yet closed: the one a close ends. */
  private openGap: { id: number; start: number } | null = null;
  /**
   * Until then (monotonic ms) every write that succeeds is followed by a WAL truncation: after
   * a write failed for want of space, the WAL must not grow back into the room just freed.
   */
  private leanUntil = Number.NEGATIVE_INFINITY;
  /** Handed to the recovery journal: nothing more is written. */
  private closed = false;

  constructor(private readonly options: CommitQueueOptions) {
    this.retry = new RetryBackoff(
      options.timers,
      options.retryMs ?? DEFAULT_RETRY_MS,
      options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS,
    );
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.trouble = new LedgerTrouble(options.reportEveryMs ?? DEFAULT_REPORT_EVERY_MS);
  }

  /** Decided and not yet committed: the queue plus the batch being written. */
  get length(): number {
    return this.pending.length + this.writingCount;
  }

  get full(): boolean {
    return this.length >= this.maxPending;
  }

  get state(): QueueState {
    return { length: this.length, max: this.maxPending, dropped: this.putOffCount };
  }

  /** Why the ledger cannot be written now, or null. */
  get troubleStatus(): LedgerTroubleStatus | null {
    return this.trouble.status;
  }

  /** A smaller bound drops nothing already queued: new decisions wait until it is below. */
  setMaxPending(max: number): void {
    this.maxPending = max;
  }

  /** `outageStart`: for a transition out of down, the start of the outage it ends. */
  add(transition: NewTransition, outageStart: number | null = null): void {
    if (transition.from === "down" && outageStart !== null) {
      this.outageStarts.set(transition, outageStart);
    }
    this.pending.push(transition);
    this.emitQueue();
    if (this.pending.length >= MAX_BATCH && !this.writing && !this.retry.pending) {
      void this.writeNext();
      return;
    }
    this.schedule();
  }

  /** The engine put off a decision for a full queue (counted once per target and episode). */
  putOff(transition: Transition): void {
    this.putOffCount++;
    this.options.emit({ kind: "queue", queue: this.state, putOff: transition });
  }

  addGap(write: GapWrite): void {
    this.gaps.push(write);
    this.schedule();
  }

  /** A release became due: attribute and write the change even without a transition. */
  attributeSoon(): void {
    this.attributionDue = true;
    this.schedule();
  }

  /** A held page stopped waiting (paged or blocked): recorded on its open outage. */
  settle(settlement: PageSettlement): void {
    this.settlements.push(settlement);
    this.schedule();
  }

  /** An HA standby writes nothing: what was queued is the leader's to write. */
  clear(): void {
    this.pending = [];
    this.settlements = [];
    this.gaps = [];
    this.attributionDue = false;
    this.retry.cancel();
    this.emitQueue();
  }

  /** Resolves when everything queued is written, or the ledger keeps failing. */
  async flush(): Promise<void> {
    while (this.writing || (this.hasWork && !this.closed)) {
      if (this.writing) await this.writing;
      else await this.writeNext();
      if (this.retry.pending) return;
    }
  }

  /**
   * Writes until the queue is empty or `withinMs` has passed, retrying a failing ledger at the
   * base retry delay (a stop cannot wait out a long backoff). Resolves true when all is written.
   */
  async drain(withinMs: number): Promise<boolean> {
    const { clock, timers } = this.options;
    const end = clock.monotonic() + withinMs;
    for (;;) {
      this.retry.cancel();
      await this.flush();
      if (!this.hasWork && !this.writing) return true;
      const left = end - clock.monotonic();
      if (left <= 0) return false;
      this.retry.cancel();
      const wait = Math.min(this.options.retryMs ?? DEFAULT_RETRY_MS, left);
      await new Promise<void>((resolve) => timers.setTimeout(resolve, wait));
    }
  }

  /**
   * Ends the queue: what it holds, as the recovery journal records it (transitions with their
   * attribution changes, page settlements, gap writes, in the order they would be written).
   */
  async takeUncommitted(): Promise<JournalRecord[]> {
    if (this.writing) await this.writing;
    this.closed = true;
    this.retry.cancel();
    const due = this.pending.length > 0 || this.attributionDue;
    const records = journalRecords({
      transitions: this.pending,
      changes: due ? this.options.attribute(this.pending, this.attributionDue).changes : [],
      settlements: this.settlements,
      gaps: this.gaps,
      openGap: this.openGap,
    });
    this.pending = [];
    this.settlements = [];
    this.gaps = [];
    this.attributionDue = false;
    this.emitQueue();
    return records;
  }

  /** Outcome of a ledger write made elsewhere (the run's heartbeat). */
  writeFailed(operation: LedgerOperation, error: unknown): void {
    const { clock } = this.options;
    // a full disk: the WAL is given back to the file system, so the room it held is free
    if (isNoSpace(error)) {
      this.leanUntil = clock.monotonic() + LEAN_AFTER_NO_SPACE_MS;
      this.reclaimSpace();
    }
    const report = this.trouble.failed(operation, error, clock.now(), clock.monotonic());
    if (report) this.options.emit({ kind: "unwritable", report, queue: this.state });
  }

  writeSucceeded(operation: LedgerOperation): void {
    // space came back lately: what this write added to the WAL is given back at once
    if (this.options.clock.monotonic() < this.leanUntil) this.reclaimSpace();
    const report = this.trouble.succeeded(operation, this.options.clock.now());
    if (report) this.options.emit({ kind: "writable", report, queue: this.state });
  }

  private reclaimSpace(): void {
    this.options.ledger.reclaimSpace?.().catch(() => {
      // the disk may be too full even to checkpoint: the next failure or success tries again
    });
  }

  private get hasWork(): boolean {
    return (
      this.pending.length > 0 ||
      this.attributionDue ||
      this.settlements.length > 0 ||
      this.gaps.length > 0
    );
  }

  private schedule(): void {
    if (this.closed || this.scheduled || this.writing || this.retry.pending) return;
    this.scheduled = true;
    const write = () => {
      this.scheduled = false;
      void this.writeNext();
    };
    const windowMs = this.options.batchWindowMs ?? 0;
    // let every result of this turn of the event loop (or of the window) join the batch
    if (windowMs > 0) this.options.timers.setTimeout(write, windowMs);
    else setImmediate(write);
  }

  private writeNext(): Promise<void> {
    if (this.closed || this.writing || !this.hasWork) return this.writing ?? Promise.resolve();
    const transitions =
      this.pending.length > 0 || this.attributionDue || this.settlements.length > 0;
    // a backlog (the ledger was unwritable) drains in chunks: SQLite commits synchronously,
    // and 100,000 transitions in one transaction would stall probing and HTTP for seconds
    const backlog = this.pending.length > MAX_BATCH;
    this.writing = (transitions ? this.writeTransitions(backlog) : this.writeGap()).finally(() => {
      this.writing = null;
      this.emitQueue();
      if (!this.hasWork || this.retry.pending) return;
      // between chunks of a backlog, let probes and requests run
      if (backlog) setImmediate(() => void this.writeNext());
      else void this.writeNext();
    });
    return this.writing;
  }

  private async writeTransitions(backlog: boolean): Promise<void> {
    const batch = backlog ? this.pending.splice(0, BACKLOG_CHUNK) : this.pending;
    if (!backlog) this.pending = [];
    this.writingCount = batch.length;
    const attributed = this.options.attribute(batch, this.attributionDue);
    this.attributionDue = false;
    const settlements = this.settlements;
    this.settlements = [];
    const began = this.options.clock.monotonic();
    const elapsed = () => this.options.clock.monotonic() - began;
    const count = batch.length;
    try {
      const { runId, ledger } = this.options;
      const stored = await ledger.commit(runId, batch, attributed.changes, settlements);
      this.writingCount = 0;
      this.written("transitions", elapsed(), count);
      // the ledger returns the batch in order: each stored row is its batch entry, with an id
      const transitions = stored.map((t, i): CommittedTransition => {
        const entry = batch[i];
        const outageStart = (entry && this.outageStarts.get(entry)) ?? null;
        return { ...t, pageHeld: entry?.pageHeld === true, outageStart, waitingOn: [] };
      });
      this.options.committed(transitions, attributed);
      this.writeSucceeded("commit");
    } catch (error) {
      this.writingCount = 0;
      if (isRefusal(error)) {
        // the settlements of targets the refusal does not rewind still stand
        const rewound = new Set(batch.map((t) => t.targetId));
        const kept = settlements.filter((settlement) => !rewound.has(settlement.targetId));
        this.settlements = kept.concat(this.settlements);
        return this.refuse(batch, error, elapsed());
      }
      // keep order: the failed batch goes back in front of what arrived meanwhile, and its
      // attribution changes are worked out again with the retry
      this.pending = batch.concat(this.pending);
      this.settlements = settlements.concat(this.settlements);
      if (attributed.changes.length > 0) this.attributionDue = true;
      this.failed("transitions", error, elapsed(), count);
    }
  }

  private async writeGap(): Promise<void> {
    const write = this.gaps[0];
    if (write === undefined) return;
    const began = this.options.clock.monotonic();
    const elapsed = () => this.options.clock.monotonic() - began;
    try {
      const { ledger } = this.options;
      if ("open" in write) {
        this.openGap = { id: await ledger.openGap(write.open), start: write.open.start };
      } else if (this.openGap !== null) {
        // a wall clock stepped back must not end a gap before it began
        await ledger.closeGap(this.openGap.id, Math.max(write.close, this.openGap.start));
        this.openGap = null;
      }
      this.gaps.shift();
      this.written("gap", elapsed(), 1);
      this.options.gapWritten(write);
      this.writeSucceeded("commit");
    } catch (error) {
      if (!isRefusal(error)) return this.failed("gap", error, elapsed(), 1);
      // refused for ever: dropped, so it cannot hold up the writes behind it
      this.writeSucceeded("commit");
      this.gaps.shift();
      if (!("open" in write)) this.openGap = null;
      const durationMs = elapsed();
      const refused = { result: "refused", what: "gap", durationMs, count: 1, error } as const;
      this.options.emit({ kind: "write", ...refused, dropped: [] });
      this.options.gapWritten(write);
    }
  }

  private written(what: "transitions" | "gap", durationMs: number, count: number): void {
    this.retry.succeeded();
    this.options.emit({ kind: "write", result: "ok", what, durationMs, count });
  }

  private failed(
    what: "transitions" | "gap",
    error: unknown,
    durationMs: number,
    count: number,
  ): void {
    const pending = this.pending.length + this.gaps.length;
    this.options.emit({ kind: "write", result: "error", what, durationMs, count, error, pending });
    this.writeFailed("commit", error);
    // backs off while the ledger keeps failing: a full disk is not hammered every second
    this.retry.schedule(() => void this.writeNext());
  }

  /** A refused batch would block every later commit: drop it and what was decided on top of it. */
  private refuse(batch: readonly NewTransition[], error: unknown, durationMs: number): void {
    // the ledger answered: it is writable, the batch was wrong
    this.writeSucceeded("commit");
    const affected = new Set(batch.map((t) => t.targetId));
    const dropped = [...batch, ...this.pending.filter((t) => affected.has(t.targetId))];
    this.pending = this.pending.filter((t) => !affected.has(t.targetId));
    this.options.refused(affected);
    this.options.emit({
      kind: "write",
      result: "refused",
      what: "transitions",
      durationMs,
      count: batch.length,
      error,
      dropped,
    });
  }

  private emitQueue(): void {
    this.options.emit({ kind: "queue", queue: this.state });
  }
}
