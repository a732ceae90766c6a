import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ledger, StoredTransition } from "../../src/ledger/ledger.js";
import { openLedger } from "../../src/ledger/open.js";
import { openPostgresLedger } from "../../src/ledger/postgres.js";
import { MIGRATIONS } from "../../src/ledger/sql/migrations.js";
import { expectLedgerError, ledgerContract, transition } from "../ledger/contract.js";
import { haLedgerContract } from "../ledger/contract-ha.js";
import { pushLedgerContract } from "../ledger/contract-push.js";
import { quorumLedgerContract } from "../ledger/contract-quorum.js";
import { type RunningPostgres, startPostgres } from "../support/external/postgres.js";

/**
 * The PostgreSQL ledger against Debian's real server: the shared contract suite (as SQLite runs
 * it), several writers on one database (migrating together, committing concurrently), the bulk
 * batch path, instance filters, read-only opens and open errors that never show the password.
 * Real daemons and the CLI on it: ledger-postgres-fleet.e2e.test.ts.
 */

const TABLES = "runs, transitions, outages, gaps, target_states, leaders, last_pushes";
let server: RunningPostgres;
let contractUrl: string;

beforeAll(async () => {
  server = await startPostgres();
  contractUrl = await server.createDatabase("contract");
  await (await openPostgresLedger(contractUrl)).close();
});

afterAll(async () => {
  await server?.stop();
});

// a fresh, empty ledger per test: the migrated database emptied (ids restart too)
ledgerContract("postgres", async () => {
  await server.sql(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`, "contract");
  return openPostgresLedger(contractUrl);
});

haLedgerContract("postgres", async () => {
  await server.sql(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`, "contract");
  return openPostgresLedger(contractUrl);
});

pushLedgerContract("postgres", async () => {
  await server.sql(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`, "contract");
  return openPostgresLedger(contractUrl);
});

quorumLedgerContract("postgres", async () => {
  await server.sql(`TRUNCATE ${TABLES} RESTART IDENTITY CASCADE`, "contract");
  return openPostgresLedger(contractUrl);
});

describe("PostgresLedger", () => {
  let n = 0;
  const freshDatabase = () => server.createDatabase(`ledger_${++n}`);

  it("migrates once when several daemons open a new database together", async () => {
    const url = await freshDatabase();
    const ledgers = await Promise.all([1, 2, 3, 4].map(() => openPostgresLedger(url)));
    await Promise.all(ledgers.map((ledger) => ledger.close()));
    const applied = await server.sql("SELECT version FROM schema_migrations", `ledger_${n}`);
    expect(applied.rows).toEqual(MIGRATIONS.map((m) => ({ version: String(m.version) })));
  });

  it("keeps chains intact when two daemons (instances) commit concurrently", async () => {
    const url = await freshDatabase();
    const jkt = await openPostgresLedger(url);
    const sby = await openPostgresLedger(url);
    try {
      const runs = await Promise.all([jkt.startRun("jkt", 0), sby.startRun("sby", 0)]);
      const flap = async (ledger: Ledger, runId: number) => {
        // the same target ids in both instances; 40 batches each, up/down alternately
        for (let i = 0; i < 40; i += 1) {
          const [from, to] = i % 2 === 0 ? (["up", "down"] as const) : (["down", "up"] as const);
          const batch = ["a", "b", "c"].map((id) => transition(id, from, to, 1_000 + i * 10));
          if (i === 0)
            batch.unshift(...["a", "b", "c"].map((id) => transition(id, "unknown", "up", 999)));
          await ledger.commit(runId, batch);
        }
      };
      await Promise.all([flap(jkt, runs[0].run.id), flap(sby, runs[1].run.id)]);
      for (const instance of ["jkt", "sby"]) {
        const stored = await jkt.transitions({ instance });
        expect(stored).toHaveLength(3 + 120);
        expectChains(stored);
        const outages = await sby.outages({ instance });
        expect(outages).toHaveLength(60);
        expect(outages.every((o) => o.end !== null && o.instance === instance)).toBe(true);
      }
    } finally {
      await Promise.all([jkt.close(), sby.close()]);
    }
  });

  it("lets exactly one of two racing commits extend the same chain", async () => {
    const url = await freshDatabase();
    const first = await openPostgresLedger(url);
    const second = await openPostgresLedger(url);
    try {
      const { run } = await first.startRun("jkt", 0);
      await first.commit(run.id, [transition("a", "unknown", "up", 10)]);
      for (let round = 0; round < 10; round += 1) {
        const [from, to] = round % 2 === 0 ? (["up", "down"] as const) : (["down", "up"] as const);
        const at = 100 + round;
        const results = await Promise.allSettled([
          first.commit(run.id, [transition("a", from, to, at)]),
          second.commit(run.id, [transition("a", from, to, at)]),
        ]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        const rejected = results.find((r) => r.status === "rejected");
        expect(rejected?.reason).toMatchObject({ code: "LEDGER_TRANSITION_CHAIN" });
      }
      const stored = await first.transitions({ instance: "jkt" });
      expect(stored).toHaveLength(11);
      expectChains(stored);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("writes a 2,000-target batch in one statement per table, as one by one would", async () => {
    const ledger = await openPostgresLedger(await freshDatabase());
    try {
      const { run } = await ledger.startRun("jkt", 0);
      const ids = Array.from({ length: 2_000 }, (_, i) => `t${i}`);
      await ledger.commit(
        run.id,
        ids.map((id) => transition(id, "unknown", "up", 1)),
      );
      const down = await ledger.commit(
        run.id,
        ids.map((id) => transition(id, "up", "down", 2)),
      );
      // read back in (at, id) order: the ids were handed out in batch order
      expect(await ledger.transitions({ since: 2 })).toEqual(down);
      expect(await ledger.outages({ open: true })).toHaveLength(2_000);
      await ledger.commit(
        run.id,
        ids.map((id) => transition(id, "down", "up", 3)),
      );
      expect(await ledger.outages({ open: false })).toHaveLength(2_000);
      const latest = await ledger.latestTransitions("jkt");
      expect(latest.every((t) => t.to === "up" && t.at === 3)).toBe(true);
    } finally {
      await ledger.close();
    }
  });

  it("filters every query by instance", async () => {
    const ledger = await openPostgresLedger(await freshDatabase());
    try {
      for (const instance of ["jkt", "sby"]) {
        const { run } = await ledger.startRun(instance, 0);
        await ledger.commit(run.id, [transition("a", "unknown", "down", 10)]);
        await ledger.openGap({ instance, kind: "blind", start: 20, end: null });
      }
      for (const instance of ["jkt", "sby"]) {
        expect((await ledger.transitions({ instance })).map((t) => t.instance)).toEqual([instance]);
        expect((await ledger.outages({ instance })).map((o) => o.instance)).toEqual([instance]);
        expect((await ledger.gaps({ instance })).map((g) => g.instance)).toEqual([instance]);
        expect((await ledger.runs({ instance })).map((r) => r.instance)).toEqual([instance]);
        expect((await ledger.latestTransitions(instance)).map((t) => t.instance)).toEqual([
          instance,
        ]);
      }
      expect(await ledger.outages({ open: true })).toHaveLength(2);
    } finally {
      await ledger.close();
    }
  });

  it("gives LEDGER_OPEN naming user, host and database but never the password", async () => {
    const url = server.url("contract", "wrong-Pa55word");
    const error = await expectLedgerError(openPostgresLedger(url), "LEDGER_OPEN", {
      host: `127.0.0.1:${server.port}`,
      database: "contract",
    });
    expect(error.message).toContain(`postgres://postgres@127.0.0.1:${server.port}/contract`);
    expect(error.message).toMatch(/password authentication failed/);
    const shown = `${error.message} ${JSON.stringify(error.context)} ${String(error.cause)}`;
    expect(shown).not.toContain("wrong-Pa55word");
    expect(shown).not.toContain(server.password);
  });

  it("opens read-only: no migration (LEDGER_SCHEMA), no writes (LEDGER_READONLY)", async () => {
    const url = await freshDatabase();
    await expectLedgerError(openPostgresLedger(url, { readonly: true }), "LEDGER_SCHEMA");
    await (await openPostgresLedger(url)).close();
    const reader = await openLedger({ path: null, url }, { readonly: true });
    try {
      await expectLedgerError(reader.startRun("jkt", 0), "LEDGER_READONLY");
      expect(await reader.runs({})).toEqual([]);
    } finally {
      await reader.close();
    }
  });
});

/** Every target's transitions, in order, follow on from each other. */
function expectChains(stored: readonly StoredTransition[]): void {
  const last = new Map<string, string>();
  for (const t of stored) {
    expect(t.from).toBe(last.get(t.targetId) ?? "unknown");
    last.set(t.targetId, t.to);
  }
}
