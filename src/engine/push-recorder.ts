import type { Ledger, PushRecord } from "../ledger/ledger.js";
import type { Timers } from "../time/clock.js";
import type { WriteOutcomes } from "./heartbeat.js";
import { RetryBackoff } from "./retry-backoff.js";

const DEFAULT_RETRY_MS = 1000;
const DEFAULT_RETRY_MAX_MS = 30_000;
/**
 * At most one write every this many ms: each commit fsyncs (synchronous=FULL) on the event loop,
 * and 1,000 targets pushing every 10 s would otherwise commit 100 times a second, one push each.
 */
const DEFAULT_MIN_GAP_MS = 50;

interface Pending {
  push: PushRecord;
  /** Pushes waiting for their answer: resolved true once durable, false if the write failed. */
  waiters: ((recorded: boolean) => void)[];
}

/**
 * Keeps each push target's last push in the ledger, so that a restart computes its deadline
 * from that push. Pushes that arrive together (a turn of the event loop, or while a write is in
 * flight) share one transaction. Only a target's latest push matters: a newer one replaces an
 * older one still waiting. A failed write answers its pushes `false` and is retried with a
 * capped backoff; its outcome counts as ledger trouble, like a commit's. Writes are at least
 * `minGapMs` apart (real time, as the turns of the event loop are): a push that comes sooner
 * after the last write waits for the rest of the gap, with those that join it meanwhile.
 */
export class PushRecorder {
  private pending = new Map<string, Pending>();
  private writing: Promise<void> | null = null;
  private scheduled: ReturnType<typeof setTimeout> | null = null;
  /** performance.now() when the last write began. */
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private readonly retry: RetryBackoff;

  constructor(
    private readonly options: {
      ledger: Ledger;
      runId: number;
      timers: Timers;
      outcomes: WriteOutcomes;
      retryMs?: number;
      retryMaxMs?: number;
      minGapMs?: number;
    },
  ) {
    this.retry = new RetryBackoff(
      options.timers,
      options.retryMs ?? DEFAULT_RETRY_MS,
      options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS,
    );
  }

  /** Resolves true once `push` (or a later push of its target) is durable, false if its write failed. */
  record(push: PushRecord): Promise<boolean> {
    return new Promise((resolve) => {
      const waiting = this.pending.get(push.targetId);
      const waiters = waiting ? [...waiting.waiters, resolve] : [resolve];
      this.pending.set(push.targetId, { push, waiters });
      this.schedule();
    });
  }

  /** Resolves once what is pending now has been written, or its write failed. */
  async flush(): Promise<void> {
    while (this.writing || (this.pending.size > 0 && !this.retry.pending)) {
      await (this.writing ?? this.write());
    }
  }

  /** Stops retrying (the daemon stops; what is pending is lost, as the answers said). */
  stop(): void {
    this.retry.cancel();
    this.unschedule();
  }

  private schedule(): void {
    if (this.scheduled || this.writing || this.retry.pending) return;
    const run = () => {
      this.scheduled = null;
      void this.write();
    };
    // every push of this turn of the event loop joins the batch, and those of the gap's rest
    const wait =
      this.lastWriteAt + (this.options.minGapMs ?? DEFAULT_MIN_GAP_MS) - performance.now();
    this.scheduled = setTimeout(run, Math.max(0, Math.ceil(wait)));
  }

  private unschedule(): void {
    if (this.scheduled === null) return;
    clearTimeout(this.scheduled);
    this.scheduled = null;
  }

  private write(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.pending.size === 0) return Promise.resolve();
    this.unschedule();
    this.lastWriteAt = performance.now();
    const batch = this.pending;
    this.pending = new Map();
    this.writing = this.writeBatch(batch).finally(() => {
      this.writing = null;
      if (this.pending.size > 0) this.schedule();
    });
    return this.writing;
  }

  private async writeBatch(batch: Map<string, Pending>): Promise<void> {
    const { ledger, runId, outcomes } = this.options;
    const entries = [...batch.values()];
    try {
      await ledger.recordPushes(
        runId,
        entries.map((entry) => entry.push),
      );
      this.retry.succeeded();
      outcomes.writeSucceeded("push");
      for (const entry of entries) for (const resolve of entry.waiters) resolve(true);
    } catch (error) {
      outcomes.writeFailed("push", error);
      for (const entry of entries) for (const resolve of entry.waiters) resolve(false);
      // kept for the retry, unless a newer push of the target arrived meanwhile
      for (const entry of entries) {
        const id = entry.push.targetId;
        if (!this.pending.has(id)) this.pending.set(id, { push: entry.push, waiters: [] });
      }
      this.retry.schedule(() => void this.write());
    }
  }
}
