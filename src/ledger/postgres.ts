import type pg from "pg";
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
  checkGap,
  checkLeader,
  checkLink,
  gapNotClosable,
  notInGroup,
  restartGap,
  runNotWritable,
} from "./sql/checks.js";
import { fitsOneStatementPerTable, insertBatch, insertVotes } from "./sql/postgres-batch.js";
import {
  checkSchema,
  createPool,
  describeUrl,
  isQueryReadTimeout,
  migrate,
  openError,
  type PostgresLocation,
  type QueryDeadlines,
  queryDeadlines,
  timeoutError,
} from "./sql/postgres-connection.js";
import {
  all,
  allArrays,
  execute,
  insertEach,
  lockInstance,
  lockTargets,
  one,
} from "./sql/postgres-statements.js";
import {
  latestPushes,
  PUSH_SQL,
  type PushRow,
  toPushRecord,
  UPSERT_PUSHES_POSTGRES,
} from "./sql/pushes.js";
import {
  gapsQuery,
  groupVotes,
  lastTransitionsBeforeQuery,
  openOutagesOfQueries,
  outagesQuery,
  type QuorumVoteRow,
  quorumVotesQueries,
  runsQuery,
  stateHistoryQuery,
  transitionsQuery,
} from "./sql/queries.js";
import {
  chainOf,
  type GapRow,
  type LeaderRow,
  type OutageRow,
  type RunRow,
  type StateHistoryRow,
  type TransitionRow,
  toGap,
  toLeader,
  toOutage,
  toQuorumMember,
  toRun,
  toStoredTransition,
} from "./sql/rows.js";
import { StateHistoryBuilder } from "./sql/state-histories.js";
import { SQL } from "./sql/statements.js";

export interface PostgresLedgerOptions {
  /** For the offline CLI: never migrates (the schema must be there); sessions are read-only. */
  readonly?: boolean;
  /** Connections in the pool. Default 4. */
  poolSize?: number;
  /** For tests: the server-side deadline of every query (default 30 s; read-only 10 min). */
  statementTimeoutMs?: number;
  /** For tests: the client-side deadline (default statementTimeoutMs + 5 s). */
  queryTimeoutMs?: number;
}

/**
 * Opens (migrating unless read-only) the PostgreSQL ledger at `url`. Several daemons, each
 * with its own `instance`, may share the database. Throws `LedgerError` `LEDGER_OPEN` (with the
 * URL's user, host and database, never its password) or `LEDGER_SCHEMA`.
 */
export async function openPostgresLedger(
  url: string,
  options: PostgresLedgerOptions = {},
): Promise<PostgresLedger> {
  const readonly = options.readonly ?? false;
  const location = describeUrl(url);
  const deadlines = queryDeadlines(readonly, options.statementTimeoutMs, options.queryTimeoutMs);
  let pool: pg.Pool | undefined;
  try {
    pool = createPool(url, readonly, options.poolSize ?? 4, deadlines);
    const client = await pool.connect();
    let failed: Error | undefined;
    try {
      if (readonly) await checkSchema(client, location);
      else await migrate(client, location);
    } catch (error) {
      failed = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(failed);
    }
    return new PostgresLedger(pool, location, readonly, deadlines);
  } catch (error) {
    await pool?.end().catch(() => undefined);
    throw openError(location, url, readonly, error);
  }
}

export class PostgresLedger implements Ledger, QuorumLedger {
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    readonly location: PostgresLocation,
    readonly readonly: boolean,
    private readonly deadlines: QueryDeadlines = queryDeadlines(readonly),
  ) {}

  async startRun(instance: string, at: number, options: RunOptions = {}): Promise<RunStart> {
    this.requireWritable();
    const haGroup = options.haGroup ?? null;
    return this.transaction(async (client) => {
      // a group's members start one at a time, so each sees the others' runs
      await lockInstance(client, haGroup ?? instance);
      if (haGroup !== null) await lockInstance(client, instance);
      const previousRow = await one<RunRow>(client, SQL.previousRun, [instance]);
      const previous = previousRow === undefined ? null : toRun(previousRow);
      let last = previous?.lastHeartbeat ?? null;
      let alive = 0;
      if (haGroup !== null) {
        last =
          (await one<{ last: number | null }>(client, SQL.groupLastHeartbeat, [haGroup]))?.last ??
          null;
        const since = at - (options.liveWithinMs ?? 0);
        alive = Number(
          (await one<{ n: number }>(client, SQL.groupAlive, [haGroup, since]))?.n ?? 0,
        );
      }
      const inserted = await one<{ id: number }>(client, SQL.insertRun, [
        instance,
        at,
        at,
        haGroup,
        options.quorumGroup ?? null,
      ]);
      if (inserted === undefined) throw new Error("INSERT … RETURNING id returned no row");
      const run: Run = {
        id: inserted.id,
        instance,
        startedAt: at,
        lastHeartbeat: at,
        stoppedAt: null,
      };
      const gap = restartGap(haGroup ?? instance, at, last, alive);
      if (gap !== null) {
        await execute(client, SQL.insertGap, [gap.instance, gap.kind, gap.start, gap.end]);
      }
      return { run, previous, gap };
    });
  }

  async claimLeadership(runId: number, at: number): Promise<Leader> {
    this.requireWritable();
    return this.transaction(async (client) => {
      const run = await one<RunRow>(client, `${SQL.runById} FOR SHARE`, [runId]);
      if (run === undefined || run.stopped_at !== null) throw runNotWritable(runId, run);
      if (run.ha_group === null) throw notInGroup(run);
      const row = await one<{ epoch: number }>(client, SQL.claimLeader, [run.ha_group, run.id, at]);
      if (row === undefined) throw new Error("INSERT … RETURNING epoch returned no row");
      return { haGroup: run.ha_group, epoch: row.epoch, runId: run.id, since: at };
    });
  }

  async leader(haGroup: string): Promise<Leader | null> {
    this.requireOpen();
    return this.guard(async () => {
      const row = await one<LeaderRow>(this.pool, SQL.leader, [haGroup]);
      return row === undefined ? null : toLeader(row);
    });
  }

  async heartbeat(runId: number, at: number): Promise<void> {
    this.requireWritable();
    return this.guard(async () => {
      if ((await execute(this.pool, SQL.heartbeat, [at, runId])) === 0)
        await this.notWritable(runId);
    });
  }

  async stopRun(runId: number, at: number): Promise<void> {
    this.requireWritable();
    return this.guard(async () => {
      if ((await execute(this.pool, SQL.stopRun, [at, at, runId])) === 0)
        await this.notWritable(runId);
    });
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
    return this.transaction((client) =>
      this.commitIn(client, runId, transitions, attributions, settlements),
    );
  }

  async commitQuorum(
    runId: number,
    transitions: readonly NewTransition[],
    votes: readonly (readonly QuorumVoteRecord[])[],
    attributions: readonly AttributionChange[] = [],
  ): Promise<StoredTransition[]> {
    this.requireWritable();
    if (transitions.length === 0 && attributions.length === 0) return [];
    return this.transaction(async (client) => {
      const stored = await this.commitIn(client, runId, transitions, attributions, []);
      await insertVotes(client, stored, votes);
      return stored;
    });
  }

  async recordPushes(runId: number, pushes: readonly PushRecord[]): Promise<void> {
    this.requireWritable();
    const latest = latestPushes(pushes);
    if (latest.length === 0) return;
    await this.transaction(async (client) => {
      // FOR SHARE: a concurrent stopRun waits until these pushes are in
      const run = await one<RunRow>(client, `${SQL.runById} FOR SHARE`, [runId]);
      if (run === undefined || run.stopped_at !== null) throw runNotWritable(runId, run);
      await client.query(UPSERT_PUSHES_POSTGRES, [
        chainOf(run),
        latest.map((p) => p.targetId),
        latest.map((p) => p.at),
        latest.map((p) => p.status),
        latest.map((p) => p.message),
      ]);
    });
  }

  async lastPushes(instance: string): Promise<PushRecord[]> {
    this.requireOpen();
    return this.guard(async () => {
      return (await all<PushRow>(this.pool, PUSH_SQL.last, [instance])).map(toPushRecord);
    });
  }

  async quorumMembers(group: string): Promise<QuorumMember[]> {
    this.requireOpen();
    return this.guard(async () => {
      return (await all<RunRow>(this.pool, SQL.quorumMembers, [group])).map(toQuorumMember);
    });
  }

  async transitionsAfter(
    instance: string,
    afterId: number,
    limit: number,
  ): Promise<StoredTransition[]> {
    this.requireOpen();
    return this.guard(async () => {
      const rows = await all<TransitionRow>(this.pool, SQL.transitionsAfter, [
        instance,
        afterId,
        limit,
      ]);
      return rows.map(toStoredTransition);
    });
  }

  async openOutagesOf(instance: string, targetIds: readonly string[]): Promise<OutageRecord[]> {
    this.requireOpen();
    return this.guard(async () => {
      const outages: OutageRecord[] = [];
      for (const { sql, params } of openOutagesOfQueries(instance, targetIds)) {
        outages.push(...(await all<OutageRow>(this.pool, sql, params)).map(toOutage));
      }
      return outages;
    });
  }

  async quorumVotes(transitionIds: readonly number[]): Promise<Map<number, QuorumVoteRecord[]>> {
    this.requireOpen();
    return this.guard(async () => {
      const rows: QuorumVoteRow[] = [];
      for (const { sql, params } of quorumVotesQueries(transitionIds)) {
        rows.push(...(await all<QuorumVoteRow>(this.pool, sql, params)));
      }
      return groupVotes(rows);
    });
  }

  private async commitIn(
    client: pg.PoolClient,
    runId: number,
    transitions: readonly NewTransition[],
    attributions: readonly AttributionChange[],
    settlements: readonly PageSettlement[],
  ): Promise<StoredTransition[]> {
    // FOR SHARE: a concurrent stopRun waits until this batch is in
    const run = await one<RunRow>(client, `${SQL.runById} FOR SHARE`, [runId]);
    if (run === undefined || run.stopped_at !== null) throw runNotWritable(runId, run);
    if (run.ha_group !== null) {
      // FOR SHARE: a new leader's claim waits for this commit, and this one sees its claim
      const leader = await one<LeaderRow>(client, `${SQL.leader} FOR SHARE`, [run.ha_group]);
      checkLeader(run, leader);
    }
    // a group member writes the group's chain: the row's instance is the group's name
    const writer: RunRow = { ...run, instance: chainOf(run) };
    const chain = await lockTargets(client, writer.instance, transitions);
    // the whole batch is checked first, against the chain as it grows within the batch
    for (const [index, transition] of transitions.entries()) {
      checkLink(writer.instance, transition, index, chain.get(transition.targetId));
      chain.set(transition.targetId, { state: transition.to, at: transition.at });
    }
    const stored = fitsOneStatementPerTable(transitions)
      ? await insertBatch(client, writer, transitions)
      : await insertEach(client, writer, transitions);
    for (const change of attributions) {
      if (change.blockedBy !== null) {
        await execute(client, SQL.attributeOutage, [
          change.blockedBy,
          writer.instance,
          change.targetId,
        ]);
      } else {
        await execute(client, SQL.releaseOutage, [change.at, writer.instance, change.targetId]);
      }
    }
    for (const settlement of settlements) {
      await execute(client, SQL.settleOutage, [
        settlement.at,
        writer.instance,
        settlement.targetId,
      ]);
    }
    return stored;
  }

  async openGap(gap: Gap): Promise<number> {
    this.requireWritable();
    checkGap(gap);
    return this.guard(async () => {
      const params = [gap.instance, gap.kind, gap.start, gap.end];
      const row = await one<{ id: number }>(this.pool, SQL.insertGap, params);
      if (row === undefined) throw new Error("INSERT … RETURNING id returned no row");
      return row.id;
    });
  }

  async closeGap(gapId: number, end: number): Promise<void> {
    this.requireWritable();
    return this.guard(async () => {
      if ((await execute(this.pool, SQL.closeGap, [end, gapId, end])) === 1) return;
      throw gapNotClosable(gapId, await one<GapRow>(this.pool, SQL.gapById, [gapId]), end);
    });
  }

  async latestTransitions(instance: string): Promise<StoredTransition[]> {
    this.requireOpen();
    return this.guard(async () => {
      const rows = await all<TransitionRow>(this.pool, SQL.latestTransitions, [instance]);
      return rows.map(toStoredTransition);
    });
  }

  async transitions(query: TransitionQuery): Promise<StoredTransition[]> {
    this.requireOpen();
    return this.guard(async () => {
      const { sql, params } = transitionsQuery(query);
      return (await all<TransitionRow>(this.pool, sql, params)).map(toStoredTransition);
    });
  }

  async lastTransitionsBefore(query: LastTransitionQuery): Promise<StoredTransition[]> {
    this.requireOpen();
    return this.guard(async () => {
      const { sql, params } = lastTransitionsBeforeQuery(query);
      return (await all<TransitionRow>(this.pool, sql, params)).map(toStoredTransition);
    });
  }

  async stateHistories(query: TargetFilter & TimeRange): Promise<StateHistory[]> {
    this.requireOpen();
    return this.guard(async () => {
      const { sql, params } = stateHistoryQuery(query);
      const builder = new StateHistoryBuilder();
      for (const row of await allArrays<StateHistoryRow>(this.pool, sql, params)) {
        builder.add(...row);
      }
      return builder.result();
    });
  }

  async outages(query: OutageQuery): Promise<OutageRecord[]> {
    this.requireOpen();
    return this.guard(async () => {
      const { sql, params } = outagesQuery(query);
      return (await all<OutageRow>(this.pool, sql, params)).map(toOutage);
    });
  }

  async gaps(query: { instance?: string } & TimeRange): Promise<Gap[]> {
    this.requireOpen();
    return this.guard(async () => {
      const { sql, params } = gapsQuery(query);
      return (await all<GapRow>(this.pool, sql, params)).map(toGap);
    });
  }

  async runs(query: { instance?: string } & TimeRange): Promise<Run[]> {
    this.requireOpen();
    return this.guard(async () => {
      const { sql, params } = runsQuery(query);
      return (await all<RunRow>(this.pool, sql, params)).map(toRun);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** BEGIN … COMMIT on one pooled connection; any throw rolls back and is rethrown. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.guard(async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        try {
          const result = await work(client);
          await client.query("COMMIT");
          return result;
        } catch (error) {
          if (isQueryReadTimeout(error)) {
            // half-open: the answer may still come, and a ROLLBACK would wait behind it
            broken = error;
            throw error;
          }
          await client.query("ROLLBACK").catch((rollback: unknown) => {
            broken = rollback instanceof Error ? rollback : new Error(String(rollback));
          });
          throw error;
        }
      } finally {
        // a connection that could not roll back is dropped (destroyed), not handed to the next
        client.release(broken);
      }
    });
  }

  /** A query past its deadline as LEDGER_TIMEOUT (retried by the commit queue); others as they are. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw timeoutError(error, this.deadlines, this.location) ?? error;
    }
  }

  private async notWritable(runId: number): Promise<never> {
    throw runNotWritable(runId, await one<RunRow>(this.pool, SQL.runById, [runId]));
  }

  private requireOpen(): void {
    if (this.closed) {
      throw new LedgerError("LEDGER_CLOSED", `ledger ${this.location.url} is closed`, {
        url: this.location.url,
      });
    }
  }

  private requireWritable(): void {
    this.requireOpen();
    if (this.readonly) {
      throw new LedgerError("LEDGER_READONLY", `ledger ${this.location.url} was opened read-only`, {
        url: this.location.url,
      });
    }
  }
}
