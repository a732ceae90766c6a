import type { PostgresLedger } from "../../src/ledger/postgres.js";
import type { Due } from "./quorum-estate.js";

/** A vantage transition as the bench committed it: its ledger id and when the commit resolved. */
export interface Committed {
  id: number;
  vantage: string;
  targetId: string;
  to: string;
  at: number;
  due: number;
  /** Date.now() when ledger.commit resolved. */
  wall: number;
}

/** The engine's commit window: what became due meanwhile is committed in one transaction. */
const COMMIT_WINDOW_MS = 100;
const HEARTBEAT_MS = 1_000;
/** At most this many transitions per commit (a start commits one interval's first probes). */
const MAX_BATCH = 2_000;

/**
 * One vantage as its daemon writes the ledger: a run in the quorum group, a heartbeat every
 * second, and its scripted transitions committed in batches every 100 ms once due.
 */
export class BenchVantage {
  readonly committed: Committed[] = [];
  private queue: Due[] = [];
  private next = 0;
  private busy = false;
  private runId = 0;
  private timers: NodeJS.Timeout[] = [];
  private failure: unknown = null;

  constructor(
    readonly instance: string,
    private readonly ledger: PostgresLedger,
  ) {}

  async start(group: string, at: number): Promise<void> {
    const { run } = await this.ledger.startRun(this.instance, at, { quorumGroup: group });
    this.runId = run.id;
    this.timers.push(
      setInterval(() => void this.beat(), HEARTBEAT_MS),
      setInterval(() => void this.commitDue(), COMMIT_WINDOW_MS),
    );
  }

  /** Adds transitions to commit once due (kept in due order). */
  schedule(dues: readonly Due[]): void {
    this.queue = [...this.queue.slice(this.next), ...dues].sort((a, b) => a.due - b.due);
    this.next = 0;
  }

  get pending(): number {
    return this.queue.length - this.next;
  }

  /** Throws what a commit or heartbeat failed with, if any. */
  check(): void {
    if (this.failure !== null) throw this.failure;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    for (let i = 0; i < 100 && this.busy; i++) await new Promise((r) => setTimeout(r, 50));
    await this.ledger.stopRun(this.runId, Date.now());
  }

  private async beat(): Promise<void> {
    try {
      await this.ledger.heartbeat(this.runId, Date.now());
    } catch (error) {
      this.failure = error;
    }
  }

  private async commitDue(): Promise<void> {
    if (this.busy) return;
    const now = Date.now();
    const batch: Due[] = [];
    while (this.next < this.queue.length && batch.length < MAX_BATCH) {
      const due = this.queue[this.next] as Due;
      if (due.due > now) break;
      batch.push(due);
      this.next++;
    }
    if (batch.length === 0) return;
    this.busy = true;
    try {
      const stored = await this.ledger.commit(
        this.runId,
        batch.map((d) => d.transition),
      );
      const wall = Date.now();
      stored.forEach((t, i) => {
        this.committed.push({
          id: t.id,
          vantage: this.instance,
          targetId: t.targetId,
          to: t.to,
          at: t.at,
          due: (batch[i] as Due).due,
          wall,
        });
      });
    } catch (error) {
      this.failure = error;
    } finally {
      this.busy = false;
    }
  }
}
