import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommitQueue } from "../../src/engine/commit-queue.js";
import type { EngineEvent } from "../../src/engine/events.js";
import type { CommittedTransition } from "../../src/engine/types.js";
import { isLedgerError } from "../../src/ledger/errors.js";
import { openPostgresLedger, type PostgresLedger } from "../../src/ledger/postgres.js";
import { systemClock, systemTimers } from "../../src/time/clock.js";
import { expectLedgerError, transition } from "../ledger/contract.js";
import { type RunningPostgres, startPostgres } from "../support/external/postgres.js";
import { until } from "../support/until.js";

/**
 * The server-side deadline on Debian's PostgreSQL: another session holds the daemon's run row
 * `FOR UPDATE` (an operator's open transaction), so a commit's `FOR SHARE` read of it waits. With
 * a statement_timeout of 2 s the server cancels it: the commit fails with LEDGER_TIMEOUT,
 * the commit queue reports the ledger unwritable and retries, and once the lock is gone the retry
 * commits the transition, exactly once. The connection survives the cancel (one backend
 * throughout). The client-side deadline: test/ledger/postgres-timeout.test.ts.
 */

const STATEMENT_MS = 2_000;
let server: RunningPostgres;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
});

/** The ledger's own backends in `database` (the holder and the test's admin session excluded). */
async function ledgerBackends(database: string, holderPid: number): Promise<number[]> {
  const result = await server.sql(
    `SELECT pid FROM pg_stat_activity WHERE datname = '${database}' AND pid <> ${holderPid} ORDER BY pid`,
  );
  return result.rows.map((row: { pid: number }) => row.pid);
}

describe("a PostgreSQL ledger query behind another session's row lock", () => {
  let ledger: PostgresLedger;
  let holder: pg.Client;
  let holderPid: number;
  let runId: number;

  beforeAll(async () => {
    const url = await server.createDatabase("timeout");
    ledger = await openPostgresLedger(url, { poolSize: 1, statementTimeoutMs: STATEMENT_MS });
    runId = (await ledger.startRun("jakarta-1", 1_000)).run.id;
    holder = new pg.Client({ connectionString: url });
    holder.on("error", () => undefined);
    await holder.connect();
    holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!
      .pid;
  });

  afterAll(async () => {
    await holder?.query("ROLLBACK").catch(() => undefined);
    await holder?.end().catch(() => undefined);
    await ledger?.close();
  });

  it("fails at statement_timeout with LEDGER_TIMEOUT, and the connection is kept", async () => {
    await holder.query("BEGIN");
    await holder.query("SELECT id FROM runs WHERE id = $1 FOR UPDATE", [runId]);
    const began = performance.now();
    const commit = ledger.commit(runId, [transition("portal", "unknown", "up", 2_000)]);
    commit.catch(() => undefined);
    // the wait is real: the pool's one backend waits on the lock
    const waiting = await until(
      async () =>
        (
          await server.sql(
            `SELECT pid FROM pg_stat_activity WHERE datname = 'timeout' AND wait_event_type = 'Lock'`,
          )
        ).rows[0]?.pid as number | undefined,
      { what: "the commit to wait on the row lock", timeoutMs: 30_000 },
    );
    const error = await expectLedgerError(commit, "LEDGER_TIMEOUT", {
      timeout: "statement_timeout",
      timeout_ms: STATEMENT_MS,
    });
    const tookMs = performance.now() - began;
    // the same backend after the cancel: the session stays usable, the pool keeps it
    expect(await ledgerBackends("timeout", holderPid)).toEqual([waiting]);
    expect(error.message).toMatch(
      /^LEDGER_TIMEOUT: ledger query timed out after 2 s \(statement_timeout\) on postgres:\/\/postgres@127\.0\.0\.1:\d+\/timeout: canceling statement due to statement timeout$/,
    );
    expect(error.message).not.toContain(server.password);
    expect(tookMs).toBeGreaterThanOrEqual(STATEMENT_MS - 5);
    await holder.query("ROLLBACK");
    expect(await ledger.latestTransitions("jakarta-1")).toEqual([]);
  });

  it("the commit queue reports it and retries; the lock released, the transition is committed once", async () => {
    const events: EngineEvent[] = [];
    const committed: CommittedTransition[] = [];
    const queue = new CommitQueue({
      ledger,
      runId,
      clock: systemClock,
      timers: systemTimers,
      retryMs: 200,
      retryMaxMs: 400,
      attribute: () => ({ next: new Map(), changes: [], version: 0, releases: new Map() }),
      committed: (transitions) => committed.push(...transitions),
      refused: () => undefined,
      gapWritten: () => undefined,
      emit: (event) => events.push(event),
    });
    await holder.query("BEGIN");
    await holder.query("SELECT id FROM runs WHERE id = $1 FOR UPDATE", [runId]);
    queue.add(transition("portal", "unknown", "up", 3_000));
    const unwritable = await until(() => events.find((event) => event.kind === "unwritable"), {
      what: "the ledger reported unwritable",
      timeoutMs: 30_000,
    });
    expect(unwritable.kind === "unwritable" && unwritable.report.error).toMatch(
      /^LEDGER_TIMEOUT: ledger query timed out after 2 s \(statement_timeout\)/,
    );
    const failed = events.find((event) => event.kind === "write" && event.result === "error");
    expect(failed?.kind === "write" && isLedgerError(failed.error, "LEDGER_TIMEOUT")).toBe(true);
    expect(committed).toEqual([]);
    await holder.query("ROLLBACK");
    await until(() => committed.length === 1, {
      what: "the retry to commit the transition",
      timeoutMs: 30_000,
    });
    await until(() => events.some((event) => event.kind === "writable"), {
      what: "the ledger reported writable again",
    });
    expect(await queue.takeUncommitted()).toEqual([]);
    const stored = await ledger.latestTransitions("jakarta-1");
    expect(stored).toEqual([expect.objectContaining({ targetId: "portal", to: "up", at: 3_000 })]);
    expect(committed.map((t) => t.id)).toEqual(stored.map((t) => t.id));
  });
});

describe("migrations at start", () => {
  it("are not bound by statement_timeout: a start waiting out another daemon's migration succeeds", async () => {
    const url = await server.createDatabase("migrating");
    // another daemon migrating: it holds the migration lock (src/ledger/sql/postgres-connection.ts)
    const other = new pg.Client({ connectionString: url });
    other.on("error", () => undefined);
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT pg_advisory_xact_lock(7242013)");
      const opening = openPostgresLedger(url, { statementTimeoutMs: 300 });
      opening.catch(() => undefined);
      await until(
        async () =>
          (
            await server.sql(
              `SELECT 1 FROM pg_stat_activity WHERE datname = 'migrating' AND wait_event_type = 'Lock'`,
            )
          ).rowCount === 1,
        { what: "the start to wait for the migration lock", timeoutMs: 30_000 },
      );
      // well past the 300 ms that bounds every other statement
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await other.query("COMMIT");
      const ledger = await opening;
      expect(await ledger.latestTransitions("jakarta-1")).toEqual([]);
      await ledger.close();
    } finally {
      await other.end().catch(() => undefined);
    }
  });
});
