import { afterEach, describe, expect, it } from "vitest";
import { LeaderElection } from "../../src/fleet/election.js";
import {
  type FakeBehaviour,
  type FakePostgres,
  startFakePostgres,
} from "../support/servers/fake-postgres.js";

/**
 * The HA lock's own connection (src/fleet/election.ts) against a server that logs in and then
 * never answers: a lock query fails at its deadline instead of holding the HA round for ever,
 * the half-open connection is closed, and the next attempt connects afresh and is answered.
 */

let server: FakePostgres | undefined;
let election: LeaderElection | undefined;

async function elect(behaviours: FakeBehaviour[]): Promise<FakePostgres> {
  server = await startFakePostgres(behaviours);
  const options = { url: server.ledgerUrl, haGroup: "jakarta", keepaliveSeconds: 5 };
  election = new LeaderElection({ ...options, queryTimeoutMs: 300 }, () => undefined);
  return server;
}

afterEach(async () => {
  await election?.release();
  await server?.close();
  election = undefined;
  server = undefined;
});

describe("the HA lock connection's deadline", () => {
  it("a session setting never answered: the attempt fails and its connection is closed", async () => {
    const fake = await elect(["silent", "answer"]);
    await expect(election!.tryAcquire()).rejects.toThrow("Query read timeout");
    await fake.connections[0]?.closed;
    // answered on a fresh connection (the fake's try-lock returns no row: not locked)
    expect(await election!.tryAcquire()).toBe(false);
    expect(fake.connections).toHaveLength(2);
  });

  it("a try-lock never answered: the next attempt connects afresh", async () => {
    const fake = await elect(["silent-extended", "answer"]);
    await expect(election!.tryAcquire()).rejects.toThrow("Query read timeout");
    expect(await election!.tryAcquire()).toBe(false);
    expect(fake.connections).toHaveLength(2);
    await fake.connections[0]?.closed;
  });
});
