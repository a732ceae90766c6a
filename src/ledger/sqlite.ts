import type Database from "better-sqlite3";
import { LedgerError } from "./errors.js";
import type {
  AttributionChange,
  Gap,
  LastTransitionQuery,
  Leader,
  Ledger,
  NewTransition,
  OutageQuery,
  OutageRecord,
  PageSettlement,
  PushRecord,
  QuorumLedger,
  QuorumMember,
  QuorumVoteRecord,
  Run,
  RunOptions,
  RunStart,
  StateHistory,
  StoredTransition,
  TargetFilter,
  TimeRange,
  TransitionQuery,
} from "./ledger.js";
import {
  type ChainLink,
  checkGap,
  checkLeader,
  checkLink,
  gapNotClosable,
  noOpenOutage,
  notInGroup,
  restartGap,
  runNotWritable,
  storedTransition,
} from "./sql/checks.js";
import { latestPushes, toPushRecord } from "./sql/pushes.js";
import {
  gapsQuery,
  groupVotes,
  lastTransitionsBeforeQuery,
  openOutagesOfQueries,
  outagesQuery,
  type QuorumVoteRow,
  quorumVotesQueries,
  runsQuery,
  type SqlQuery,
  stateHistoryQuery,
  transitionsQuery,
} from "./sql/queries.js";
import {
  chainOf,
  closeOutageParams,
  type GapRow,
  insertTransitionParams,
  type OutageRow,
  type OutageTuple,
  openOutageParams,
  type RunRow,
  type StateHistoryRow,
  type TransitionRow,
  toGap,
  toLeader,
  toOutage,
  toQuorumMember,
  toRun,
  toStoredTransition,
  tupleToOutage,
} from "./sql/rows.js";
import {
  openSqliteConnection,
  prepareStatements,
  type Statements,
} from "./sql/sqlite-connection.js";
import { perTargetHistories } from "./sql/sqlite-histories.js";
import { StateHistoryBuilder } from "./sql/state-histories.js";

export interface SqliteLedgerOptions {
  /** For the offline CLI: never writes, never migrates; the file must exist and be migrated. */
  readonly?: boolean;
  /**
   * With readonly, on a read-only filesystem: SQLite's `immutable=1` (no -wal, -shm or lock is
   * created; the file must not change while open). Chosen by ledger/open.ts.
   */
  immutable?: boolean;
  /** How long a statement waits for a lock held by another connection. Default 5000. */
  busyTimeoutMs?: number;
}

/** What the connection actually runs with, read back from SQLite. */
export interface SqlitePragmas {
  journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
  busyTimeoutMs: number;
  foreignKeys: boolean;
}

/**
 * Opens (creating and migrating unless read-only) the SQLite ledger at `path`: WAL, so the CLI
 * reads while the daemon writes; `synchronous=FULL`, so a resolved commit survives a power cut.
 * Throws `LedgerError` `LEDGER_OPEN` (with `path`) or `LEDGER_SCHEMA`.
 */
export function openSqliteLedger(path: string, options: SqliteLedgerOptions = {}): SqliteLedger {
  const readonly = options.readonly ?? false;
  const db = openSqliteConnection(path, readonly, options.busyTimeoutMs ?? 5000, {
    immutable: readonly && options.immutable === true,
  });
  return new SqliteLedger(db, path, readonly);
}

export class SqliteLedger implements Ledger, QuorumLedger {
  private readonly statements: Statements;
  private readonly queryCache = new Map<string, Database.Statement<unknown[], unknown>>();
  private readonly commitBatch: Database.Transaction<
    (
      runId: number,
      batch: readonly NewTransition[],
      attributions: readonly AttributionChange[],
      settlements: readonly PageSettlement[],
      votes: readonly (readonly QuorumVoteRecord[])[],
    ) => StoredTransition[]
  >;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
    readonly readonly: boolean,
  ) {
    this.statements = prepareStatements(db);
    this.commitBatch = db.transaction(
      (
        runId: number,
        batch: readonly NewTransition[],
        attributions: readonly AttributionChange[],
        settlements: readonly PageSettlement[],
        votes: readonly (readonly QuorumVoteRecord[])[],
      ) => {
        const stored = this.commitInTransaction(runId, batch);
        this.applyOutageChanges(runId, attributions, settlements);
        stored.forEach((transition, i) => {
          for (const vote of votes[i] ?? []) {
            this.statements.insertQuorumVote.run(
              transition.id,
              vote.vantage,
              vote.vote,
              vote.since,
            );
          }
        });
        return stored;
      },
    );
  }

  pragmas(): SqlitePragmas {
    this.requireOpen();
    const read = (name: string): unknown => this.db.pragma(name, { simple: true });
    return {
      journalMode: String(read("journal_mode")),
      synchronous: Number(read("synchronous")),
      busyTimeoutMs: Number(read("busy_timeout")),
      foreignKeys: Number(read("foreign_keys")) === 1,
    };
  }

  async startRun(instance: string, at: number, options: RunOptions = {}): Promise<RunStart> {
    this.requireWritable();
    const haGroup = options.haGroup ?? null;
    return this.db
      .transaction((): RunStart => {
        const previousRow = this.statements.previousRun.get(instance);
        const previous = previousRow === undefined ? null : toRun(previousRow);
        const last =
          haGroup === null
            ? (previous?.lastHeartbeat ?? null)
            : (this.statements.groupLastHeartbeat.get(haGroup)?.last ?? null);
        const alive =
          haGroup === null
            ? 0
            : (this.statements.groupAlive.get(haGroup, at - (options.liveWithinMs ?? 0))?.n ?? 0);
        const inserted = this.statements.insertRun.get(
          instance,
          at,
          at,
          haGroup,
          options.quorumGroup ?? null,
        );
        if (inserted === undefined) throw new Error("INSERT … RETURNING id returned no row");
        const run: Run = {
          id: inserted.id,
          instance,
          startedAt: at,
          lastHeartbeat: at,
          stoppedAt: null,
        };
        const gap = restartGap(haGroup ?? instance, at, last, alive);
        if (gap !== null) this.statements.insertGap.get(gap.instance, gap.kind, gap.start, gap.end);
        return { run, previous, gap };
      })
      .immediate();
  }

  async claimLeadership(runId: number, at: number): Promise<Leader> {
    this.requireWritable();
    return this.db
      .transaction((): Leader => {
        const run = this.statements.runById.get(runId);
        if (run === undefined || run.stopped_at !== null) this.throwRunNotWritable(runId);
        if (run.ha_group === null) throw notInGroup(run);
        const row = this.statements.claimLeader.get(run.ha_group, run.id, at);
        if (row === undefined) throw new Error("INSERT … RETURNING epoch returned no row");
        return { haGroup: run.ha_group, epoch: row.epoch, runId: run.id, since: at };
      })
      .immediate();
  }

  async leader(haGroup: string): Promise<Leader | null> {
    this.requireOpen();
    const row = this.statements.leader.get(haGroup);
    return row === undefined ? null : toLeader(row);
  }

  async heartbeat(runId: number, at: number): Promise<void> {
    this.requireWritable();
    const result = this.statements.heartbeat.run(at, runId);
    if (result.changes === 0) this.throwRunNotWritable(runId);
  }

  async stopRun(runId: number, at: number): Promise<void> {
    this.requireWritable();
    const result = this.statements.stopRun.run(at, at, runId);
    if (result.changes === 0) this.throwRunNotWritable(runId);
  }

  async commit(
    runId: number,
    transitions: readonly NewTransition[],
    attributions: readonly AttributionChange[] = [],
    settlements: readonly PageSettlement[] = [],
  ): Promise<StoredTransition[]> {
    this.requireWritable();
    if (transitions.length === 0 && attributions.length === 0 && settlements.length === 0) {
      return [];
    }
    // IMMEDIATE takes the write lock up front; with synchronous=FULL the WAL is fsynced before
    // this returns, so nothing observes a transition that a power cut could lose
    return this.commitBatch.immediate(runId, transitions, attributions, settlements, []);
  }

  async commitQuorum(
    runId: number,
    transitions: readonly NewTransition[],
    votes: readonly (readonly QuorumVoteRecord[])[],
    attributions: readonly AttributionChange[] = [],
  ): Promise<StoredTransition[]> {
    this.requireWritable();
    if (transitions.length === 0 && attributions.length === 0) return [];
    return this.commitBatch.immediate(runId, transitions, attributions, [], votes);
  }

  async quorumMembers(group: string): Promise<QuorumMember[]> {
    this.requireOpen();
    return this.statements.quorumMembers.all(group).map(toQuorumMember);
  }

  async transitionsAfter(
    instance: string,
    afterId: number,
    limit: number,
  ): Promise<StoredTransition[]> {
    this.requireOpen();
    return this.statements.transitionsAfter.all(instance, afterId, limit).map(toStoredTransition);
  }

  async openOutagesOf(instance: string, targetIds: readonly string[]): Promise<OutageRecord[]> {
    this.requireOpen();
    const outages: OutageRecord[] = [];
    for (const { sql, params } of openOutagesOfQueries(instance, targetIds)) {
      outages.push(...this.select<OutageRow>({ sql, params }).map(toOutage));
    }
    return outages;
  }

  async quorumVotes(transitionIds: readonly number[]): Promise<Map<number, QuorumVoteRecord[]>> {
    this.requireOpen();
    const rows: QuorumVoteRow[] = [];
    for (const query of quorumVotesQueries(transitionIds))
      rows.push(...this.select<QuorumVoteRow>(query));
    return groupVotes(rows);
  }

  async recordPushes(runId: number, pushes: readonly PushRecord[]): Promise<void> {
    this.requireWritable();
    const latest = latestPushes(pushes);
    if (latest.length === 0) return;
    this.db
      .transaction(() => {
        const run = this.statements.runById.get(runId);
        if (run === undefined || run.stopped_at !== null) this.throwRunNotWritable(runId);
        const instance = chainOf(run);
        for (const push of latest) {
          this.statements.upsertPush.run(
            instance,
            push.targetId,
            push.at,
            push.status,
            push.message,
          );
        }
      })
      .immediate();
  }

  async lastPushes(instance: string): Promise<PushRecord[]> {
    this.requireOpen();
    return this.statements.lastPushes.all(instance).map(toPushRecord);
  }

  async openGap(gap: Gap): Promise<number> {
    this.requireWritable();
    checkGap(gap);
    const row = this.statements.insertGap.get(gap.instance, gap.kind, gap.start, gap.end);
    if (row === undefined) throw new Error("INSERT … RETURNING id returned no row");
    return row.id;
  }

  async closeGap(gapId: number, end: number): Promise<void> {
    this.requireWritable();
    if (this.statements.closeGap.run(end, gapId, end).changes === 1) return;
    throw gapNotClosable(gapId, this.statements.gapById.get(gapId), end);
  }

  async latestTransitions(instance: string): Promise<StoredTransition[]> {
    this.requireOpen();
    return this.statements.latestTransitions.all(instance).map(toStoredTransition);
  }

  async transitions(query: TransitionQuery): Promise<StoredTransition[]> {
    this.requireOpen();
    return this.select<TransitionRow>(transitionsQuery(query)).map(toStoredTransition);
  }

  async lastTransitionsBefore(query: LastTransitionQuery): Promise<StoredTransition[]> {
    this.requireOpen();
    return this.select<TransitionRow>(lastTransitionsBeforeQuery(query)).map(toStoredTransition);
  }

  async stateHistories(query: TargetFilter & TimeRange): Promise<StateHistory[]> {
    this.requireOpen();
    // service and site are on the rows, not in the index: those filters scan the window
    if (query.service !== undefined || query.site !== undefined) return this.scanHistories(query);
    return perTargetHistories((sql) => this.prepared(sql), query);
  }

  /** The window's rows by time, every target mixed, grouped as they come. */
  private scanHistories(query: TargetFilter & TimeRange): StateHistory[] {
    const { sql, params } = stateHistoryQuery(query);
    const builder = new StateHistoryBuilder();
    // raw rows, stepped one at a time: no object per row and no million-element array
    for (const row of this.prepared(sql)
      .raw(true)
      .iterate(...params)) {
      const [instance, targetId, to, at] = row as StateHistoryRow;
      builder.add(instance, targetId, to, at);
    }
    return builder.result();
  }

  async outages(query: OutageQuery): Promise<OutageRecord[]> {
    this.requireOpen();
    const { sql, params } = outagesQuery(query);
    // all() at once: iterate() costs ≈ 1 µs a row more, half a second for a month's listing
    // (which comes in pages, so the rows of one page are all that is held)
    const rows = this.prepared(sql)
      .raw(true)
      .all(...params) as OutageTuple[];
    return rows.map(tupleToOutage);
  }

  async gaps(query: { instance?: string } & TimeRange): Promise<Gap[]> {
    this.requireOpen();
    return this.select<GapRow>(gapsQuery(query)).map(toGap);
  }

  async runs(query: { instance?: string } & TimeRange): Promise<Run[]> {
    this.requireOpen();
    return this.select<RunRow>(runsQuery(query)).map(toRun);
  }

  async reclaimSpace(): Promise<void> {
    this.requireWritable();
    // TRUNCATE: the WAL's frames go into the database file and the WAL is cut to zero bytes
    this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private commitInTransaction(runId: number, batch: readonly NewTransition[]): StoredTransition[] {
    const run = this.statements.runById.get(runId);
    if (run === undefined || run.stopped_at !== null) this.throwRunNotWritable(runId);
    if (run.ha_group !== null) checkLeader(run, this.statements.leader.get(run.ha_group));
    const instance = chainOf(run);
    const chain = new Map<string, ChainLink>();
    return batch.map((transition, index) => {
      this.checkLink(instance, transition, index, chain);
      const stored = this.insertTransition(run.id, instance, transition);
      chain.set(transition.targetId, { state: transition.to, at: transition.at });
      if (transition.to === "down") this.openOutage(stored);
      else if (transition.from === "down") this.closeOutage(stored);
      return stored;
    });
  }

  private applyOutageChanges(
    runId: number,
    changes: readonly AttributionChange[],
    settlements: readonly PageSettlement[],
  ): void {
    if (changes.length === 0 && settlements.length === 0) return;
    const run = this.statements.runById.get(runId);
    if (run === undefined || run.stopped_at !== null) this.throwRunNotWritable(runId);
    if (run.ha_group !== null) checkLeader(run, this.statements.leader.get(run.ha_group));
    const instance = chainOf(run);
    for (const settlement of settlements) {
      this.statements.settleOutage.run(settlement.at, instance, settlement.targetId);
    }
    for (const change of changes) {
      if (change.blockedBy !== null) {
        this.statements.attributeOutage.run(change.blockedBy, instance, change.targetId);
      } else {
        this.statements.releaseOutage.run(change.at, instance, change.targetId);
      }
    }
  }

  /** The batch is checked against the chain as it grows, so a batch may move a target twice. */
  private checkLink(
    instance: string,
    transition: NewTransition,
    index: number,
    chain: Map<string, ChainLink>,
  ): void {
    const previous =
      chain.get(transition.targetId) ??
      this.statements.targetState.get(instance, transition.targetId);
    checkLink(instance, transition, index, previous);
  }

  private insertTransition(runId: number, instance: string, t: NewTransition): StoredTransition {
    const row = this.statements.insertTransition.get(...insertTransitionParams(runId, instance, t));
    if (row === undefined) throw new Error("INSERT … RETURNING id returned no row");
    this.statements.upsertTargetState.run(instance, t.targetId, t.to, t.at, row.id);
    return storedTransition(row.id, runId, instance, t);
  }

  private openOutage(t: StoredTransition): void {
    this.statements.openOutage.run(...openOutageParams(t));
  }

  private closeOutage(t: StoredTransition): void {
    if (this.statements.closeOutage.run(...closeOutageParams(t)).changes === 1) return;
    throw noOpenOutage(t);
  }

  private prepared(sql: string): Database.Statement<unknown[], unknown> {
    let statement = this.queryCache.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], unknown>(sql);
      this.queryCache.set(sql, statement);
    }
    return statement;
  }

  private select<Row>(query: SqlQuery): Row[] {
    // rows come from the fixed column lists of sql/rows.ts
    return this.prepared(query.sql).all(...query.params) as Row[];
  }

  private throwRunNotWritable(runId: number): never {
    throw runNotWritable(runId, this.statements.runById.get(runId));
  }

  private requireOpen(): void {
    if (this.closed) {
      throw new LedgerError("LEDGER_CLOSED", `ledger ${this.path} is closed`, { path: this.path });
    }
  }

  private requireWritable(): void {
    this.requireOpen();
    if (this.readonly) {
      throw new LedgerError("LEDGER_READONLY", `ledger ${this.path} was opened read-only`, {
        path: this.path,
      });
    }
  }
}
