import type {
  AttributionChange,
  Gap,
  Ledger,
  NewTransition,
  PushRecord,
  StoredTransition,
} from "../../src/ledger/ledger.js";

/** better-sqlite3's error for a full disk (or `max_page_count` reached). */
export function sqliteFull(): Error {
  return Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
}

/**
 * A ledger in memory for engine tests: commits are kept in order, and a test makes every write
 * fail (`failWith`) or succeed. Only what the engine calls is implemented.
 */
export class FakeLedger implements Ledger {
  failWith: Error | null = null;
  /** Heartbeats alone fail with this (else as `failWith` says). */
  heartbeatFailsWith: Error | null = null;
  readonly committed: StoredTransition[] = [];
  /** Every commit() call, failed or not: its size. */
  readonly attempts: { size: number; ok: boolean }[] = [];
  private nextId = 1;

  async commit(
    runId: number,
    transitions: readonly NewTransition[],
    _attributions?: readonly AttributionChange[],
  ): Promise<StoredTransition[]> {
    // a real store answers on a later turn of the event loop
    await Promise.resolve();
    this.attempts.push({ size: transitions.length, ok: this.failWith === null });
    if (this.failWith) throw this.failWith;
    const stored = transitions.map((t) => ({
      ...t,
      id: this.nextId++,
      runId,
      instance: "fake",
    }));
    this.committed.push(...stored);
    return stored;
  }

  async heartbeat(): Promise<void> {
    const failure = this.heartbeatFailsWith ?? this.failWith;
    if (failure) throw failure;
  }

  /** The last push of each target, as recordPushes left it. */
  readonly pushes = new Map<string, PushRecord>();
  /** Every recordPushes() call, failed or not: its size. */
  readonly pushWrites: { size: number; ok: boolean }[] = [];

  async recordPushes(_runId: number, pushes: readonly PushRecord[]): Promise<void> {
    await Promise.resolve();
    this.pushWrites.push({ size: pushes.length, ok: this.failWith === null });
    if (this.failWith) throw this.failWith;
    for (const push of pushes) this.pushes.set(push.targetId, push);
  }

  async lastPushes(): Promise<PushRecord[]> {
    return [...this.pushes.values()];
  }

  async openGap(_gap: Gap): Promise<number> {
    if (this.failWith) throw this.failWith;
    return this.nextId++;
  }

  async closeGap(_gapId: number, _end: number): Promise<void> {
    if (this.failWith) throw this.failWith;
  }

  startRun(): never {
    throw new Error("not used by engine tests");
  }
  stopRun(): never {
    throw new Error("not used by engine tests");
  }
  latestTransitions(): never {
    throw new Error("not used by engine tests");
  }
  transitions(): never {
    throw new Error("not used by engine tests");
  }
  outages(): never {
    throw new Error("not used by engine tests");
  }
  gaps(): never {
    throw new Error("not used by engine tests");
  }
  runs(): never {
    throw new Error("not used by engine tests");
  }
  claimLeadership(): never {
    throw new Error("not used by engine tests");
  }
  leader(): never {
    throw new Error("not used by engine tests");
  }
  lastTransitionsBefore(): never {
    throw new Error("not used by engine tests");
  }
  stateHistories(): never {
    throw new Error("not used by engine tests");
  }
  /** reclaimSpace() calls (SQLite: a TRUNCATE checkpoint of the WAL). */
  reclaims = 0;

  async reclaimSpace(): Promise<void> {
    this.reclaims++;
  }

  async close(): Promise<void> {}
}
