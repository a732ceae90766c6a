import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredTransition } from "../../src/ledger/ledger.js";
import { openPostgresLedger, type PostgresLedger } from "../../src/ledger/postgres.js";
import { DaemonProcess, isTransition, type LogLine } from "../support/daemon-process.js";
import { type RunningPostgres, startPostgres } from "../support/external/postgres.js";
import { parsePromText } from "../support/prom-text.js";
import { startReceiver } from "../support/servers/receiver.js";
import { startSourceGate } from "../support/servers/source-gate.js";
import { until } from "../support/until.js";

/**
 * Three vantages, one verdict (docs/quorum.md), end to end on Debian's PostgreSQL: three real
 * `pantau run` daemons (cgk, dr, sub) share the ledger and the quorum group `estate` with
 * min_down 2. All three watch the same DPS autogate (one loopback server), each from its own
 * source address (`source_ip_address` 127.0.0.2, .3, .4): the gate drops the connections of a
 * source the test cuts, as a firewall on that vantage's path would. Alertmanager is a loopback
 * receiver that keeps what is pushed.
 */

const VANTAGES = ["cgk", "dr", "sub"] as const;
type Vantage = (typeof VANTAGES)[number];
const SOURCE: Record<Vantage, string> = { cgk: "127.0.0.2", dr: "127.0.0.3", sub: "127.0.0.4" };
const TARGET = "autogate-dps";
const CHAIN = "quorum/estate";

interface Pushed {
  labels: Record<string, string>;
  startsAt: string;
  endsAt?: string;
}

let server: RunningPostgres;
let n = 0;
const dirs: string[] = [];

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A group of three vantage daemons on a fresh database, each reaching the gate from its own address. */
async function estate() {
  const url = await server.createDatabase(`quorum_${++n}`);
  const dir = mkdtempSync(join(tmpdir(), "pantau-quorum-"));
  dirs.push(dir);
  const pushed: Pushed[] = [];
  const alertmanager = await startReceiver((path, body) => {
    if (path === "/api/v2/alerts") pushed.push(...(JSON.parse(body) as Pushed[]));
  });
  const gate = await startSourceGate();
  const configOf = (vantage: Vantage) => {
    const file = join(dir, `${vantage}.yaml`);
    writeFileSync(
      file,
      `global: { interval: 300ms, timeout: 250ms, failure_threshold: 2, success_threshold: 2, instance: ${vantage} }
storage: { url: "${url}", heartbeat: 200ms }
alertmanager: { url: "${alertmanager.url}", resend: 1m }
quorum: { group: estate, min_down: 2, dead_after: 1s }
targets:
  - { id: ${TARGET}, site: dps, http: { url: "${gate.url}", source_ip_address: ${SOURCE[vantage]} } }
`,
    );
    return file;
  };
  const daemons = new Map<Vantage, DaemonProcess>();
  const start = (vantage: Vantage) => {
    const daemon = new DaemonProcess(["run", "-c", configOf(vantage), "--listen", "127.0.0.1:0"]);
    daemons.set(vantage, daemon);
    return daemon;
  };
  for (const vantage of VANTAGES) start(vantage);
  // every vantage has seen the gate up (and so migrated the ledger)
  await Promise.all(
    [...daemons.values()].map((d) => d.waitFor(isTransition(TARGET, "unknown", "up"))),
  );
  const ledger: PostgresLedger = await openPostgresLedger(url, { readonly: true });
  const chain = () => ledger.transitions({ instance: CHAIN });
  const own = (vantage: Vantage) => ledger.transitions({ instance: vantage });
  const cut = (vantages: readonly Vantage[], down: boolean) => {
    for (const v of vantages) gate.cut(SOURCE[v], down);
  };
  const scrape = async (vantage: Vantage) => {
    const started = await daemons.get(vantage)!.waitFor((l) => l.event === "start");
    const response = await fetch(`http://${String(started.listen)}/metrics`);
    return parsePromText(await response.text());
  };
  const close = async () => {
    for (const daemon of daemons.values()) daemon.signal("SIGTERM");
    await Promise.all([...daemons.values()].map((d) => d.exited()));
    await ledger.close();
    await alertmanager.close();
    await gate.close();
  };
  // and the group says so
  await until(async () => (await chain()).some((t) => t.to === "up"), {
    what: "the group to see the gate up",
  });
  // each vantage reached the gate from its own address, and only from it
  expect([...gate.seen.keys()].sort()).toEqual(Object.values(SOURCE).sort());
  return { ledger, chain, own, cut, daemons, start, scrape, pushed, close };
}

const deciderLine = (l: LogLine) => l.event === "quorum_decider";

describe("a quorum of three vantages over PostgreSQL", () => {
  it("all three lose the gate: one group outage from the second vantage's first failed probe, one page", async () => {
    const e = await estate();
    try {
      e.cut(VANTAGES, true);
      await until(async () => (await e.chain()).some((t) => t.to === "down"), {
        what: "the group outage",
      });
      const starts: number[] = [];
      for (const v of VANTAGES) {
        await until(async () => (await e.own(v)).some((t) => t.to === "down"), {
          what: `${v}'s own outage`,
        });
        starts.push((await e.own(v)).find((t) => t.to === "down")!.at);
      }
      const second = [...starts].sort((a, b) => a - b)[1];
      const down = (await e.chain()).find((t) => t.to === "down") as StoredTransition;
      expect(down.at).toBe(second);
      const votes = (await e.ledger.quorumVotes([down.id])).get(down.id) ?? [];
      expect(votes.filter((v) => v.vote === "down").length).toBeGreaterThanOrEqual(2);
      // the page: the group's, from the decider only, with the group outage's start
      await until(() => e.pushed.some((a) => a.labels.target === TARGET), { what: "a page" });
      const pages = e.pushed.filter((a) => a.labels.target === TARGET);
      expect(new Set(pages.map((a) => a.labels.instance))).toEqual(new Set([CHAIN]));
      expect(new Set(pages.map((a) => Date.parse(a.startsAt)))).toEqual(new Set([down.at]));
      e.cut(VANTAGES, false);
      await until(async () => (await e.chain()).at(-1)?.to === "up", { what: "the recovery" });
      const chain = await e.chain();
      expect(chain.map((t) => `${t.from}>${t.to}`)).toEqual(["unknown>up", "up>down", "down>up"]);
      const [outage] = await e.ledger.outages({ instance: CHAIN });
      expect(outage).toMatchObject({ start: down.at, end: chain[2]?.at });
    } finally {
      await e.close();
    }
  });

  it("one vantage loses the gate: no group outage, no page, a disagreement naming it", async () => {
    const e = await estate();
    try {
      e.cut(["dr"], true);
      await until(async () => (await e.own("dr")).some((t) => t.to === "down"), {
        what: "dr's own outage",
      });
      const disagreement = await until(
        async () => {
          for (const v of VANTAGES) {
            const samples = await e.scrape(v);
            const found = samples.filter(
              (s) => s.name === "pantau_quorum_disagreement" && s.value === 1,
            );
            if (found.length > 0) return found;
          }
          return null;
        },
        { what: "the decider's disagreement series" },
      );
      expect(disagreement.map((s) => s.labels)).toEqual([
        {
          quorum_group: "estate",
          target: TARGET,
          service: expect.any(String),
          site: "dps",
          vantage: "dr",
        },
      ]);
      expect((await e.chain()).map((t) => t.to)).toEqual(["up"]);
      expect(e.pushed.filter((a) => a.labels.target === TARGET)).toEqual([]);
    } finally {
      await e.close();
    }
  });

  it("the decider is killed mid-outage: a standby takes over, nothing lost or written twice", async () => {
    const e = await estate();
    try {
      const leader = await until(
        () => VANTAGES.find((v) => e.daemons.get(v)?.lines.some(deciderLine)),
        { what: "a decider" },
      );
      e.cut(VANTAGES, true);
      await until(async () => (await e.chain()).some((t) => t.to === "down"), {
        what: "the group outage",
      });
      e.daemons.get(leader)!.signal("SIGKILL");
      await e.daemons.get(leader)!.exited();
      const others = VANTAGES.filter((v) => v !== leader);
      await Promise.race(others.map((v) => e.daemons.get(v)!.waitFor(deciderLine)));
      e.cut(VANTAGES, false);
      await until(async () => (await e.chain()).at(-1)?.to === "up", {
        what: "the recovery, written by the new decider",
      });
      const chain = await e.chain();
      expect(chain.map((t) => `${t.from}>${t.to}`)).toEqual(["unknown>up", "up>down", "down>up"]);
      expect(chain[1]?.runId).not.toBe(chain[2]?.runId);
    } finally {
      await e.close();
    }
  });

  it("a vantage is killed: it stops voting within dead_after, and no verdict follows from it", async () => {
    const e = await estate();
    try {
      e.cut(VANTAGES, true);
      await until(async () => (await e.chain()).some((t) => t.to === "down"), {
        what: "the group outage",
      });
      // kill a vantage that is not the decider
      const decider = await until(
        () => VANTAGES.find((v) => e.daemons.get(v)?.lines.some(deciderLine)),
        { what: "a decider" },
      );
      const victim = VANTAGES.find((v) => v !== decider) as Vantage;
      e.daemons.get(victim)!.signal("SIGKILL");
      await e.daemons.get(victim)!.exited();
      await until(
        async () => {
          const samples = await e.scrape(decider);
          return samples.some(
            (s) => s.name === "pantau_quorum_votes" && s.labels.vote === "dead" && s.value === 1,
          );
        },
        // dead_after (1 s), a heartbeat and a round, with room for a busy machine
        { what: `${victim} counted dead`, timeoutMs: 5_000 },
      );
      // two of the two left still see it down: the outage goes on, nothing new was written
      expect((await e.chain()).map((t) => t.to)).toEqual(["up", "down"]);
    } finally {
      await e.close();
    }
  });
});
