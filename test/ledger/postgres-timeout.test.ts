import { afterEach, describe, expect, it } from "vitest";
import { PostgresLedger } from "../../src/ledger/postgres.js";
import {
  createPool,
  DAEMON_STATEMENT_TIMEOUT_MS,
  describeUrl,
  type QueryDeadlines,
  queryDeadlines,
  READONLY_STATEMENT_TIMEOUT_MS,
} from "../../src/ledger/sql/postgres-connection.js";
import {
  type FakeBehaviour,
  type FakePostgres,
  startFakePostgres,
} from "../support/servers/fake-postgres.js";
import { expectLedgerError, transition } from "./contract.js";

/**
 * A server that logs the client in and then never answers (a hung backend, a network cut with no
 * reset) ends a ledger query at the client's deadline (pg's query_timeout) as LEDGER_TIMEOUT, and
 * the connection it was on is destroyed: pg leaves such a client half-open, and a query queued on
 * it would wait behind the lost answer. The next query gets a fresh connection and is answered.
 * The server-side deadline (statement_timeout) against a real server: test/e2e/ledger-timeout.
 */

const DEADLINES: QueryDeadlines = { statementMs: 100, queryMs: 300 };
let server: FakePostgres | undefined;
let ledger: PostgresLedger | undefined;

async function open(behaviours: FakeBehaviour[]): Promise<FakePostgres> {
  server = await startFakePostgres(behaviours);
  const pool = createPool(server.ledgerUrl, false, 1, DEADLINES);
  ledger = new PostgresLedger(pool, describeUrl(server.ledgerUrl), false, DEADLINES);
  return server;
}

afterEach(async () => {
  await ledger?.close();
  await server?.close();
  ledger = undefined;
  server = undefined;
});

const timedOut = (port: number) =>
  `LEDGER_TIMEOUT: ledger query timed out after 300 ms (query_timeout) on postgres://pantau@127.0.0.1:${port}/ledger: Query read timeout`;

describe("PostgreSQL ledger deadlines", () => {
  it("defaults: 30 s for a daemon, 10 min for the read-only CLI, the client 5 s later", () => {
    expect(DAEMON_STATEMENT_TIMEOUT_MS).toBe(30_000);
    expect(READONLY_STATEMENT_TIMEOUT_MS).toBe(600_000);
    expect(queryDeadlines(false)).toEqual({ statementMs: 30_000, queryMs: 35_000 });
    expect(queryDeadlines(true)).toEqual({ statementMs: 600_000, queryMs: 605_000 });
    expect(queryDeadlines(false, 200)).toEqual({ statementMs: 200, queryMs: 5_200 });
    expect(queryDeadlines(false, 200, 400)).toEqual({ statementMs: 200, queryMs: 400 });
  });

  it("a query the server never answers fails at query_timeout; the next one gets a fresh connection", async () => {
    const fake = await open(["silent", "answer"]);
    const error = await expectLedgerError(ledger!.heartbeat(1, 1_000), "LEDGER_TIMEOUT", {
      timeout: "query_timeout",
      timeout_ms: 300,
    });
    expect(error.message).toBe(timedOut(fake.port));
    // not the half-open connection (the pool's only one, kept idle it would be taken again)
    await ledger!.heartbeat(1, 2_000);
    expect(fake.connections).toHaveLength(2);
    expect(fake.received[1]).toContain("E");
    // which the client closed
    await fake.connections[0]?.closed;
  });

  it("a commit whose statement is never answered fails once, and its connection is dropped", async () => {
    const fake = await open(["silent-extended", "answer"]);
    const batch = [transition("portal", "unknown", "up", 1_000)];
    const error = await expectLedgerError(ledger!.commit(1, batch), "LEDGER_TIMEOUT");
    expect(error.message).toBe(timedOut(fake.port));
    // answered on a fresh connection: the run is not there (the fake returns no rows)
    await expectLedgerError(ledger!.commit(1, batch), "LEDGER_RUN_NOT_FOUND");
    expect(fake.connections).toHaveLength(2);
    await fake.connections[0]?.closed;
  });
});
