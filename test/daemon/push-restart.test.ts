/**
 * A push target across crashes of the real daemon (`pantau run`, a child process, SQLite in a
 * temp dir): killed with SIGKILL between two pushes and started again, it opens no outage, as
 * each deadline runs from the last push in the ledger, not from the restart; a deadline truly
 * missed opens an outage that starts at that deadline to the millisecond.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { DaemonProcess, isTransition } from "../support/daemon-process.js";
import { SECRET_CANARY } from "../support/secret-canary.js";

// the push token is the suite's secret canary: secret-watch.ts fails this file if the daemon prints it
const TOKEN = SECRET_CANARY;
const ID = "nightly-sync";
/** expect_every 2s + grace 8s: a restart under a loaded machine fits well inside it. */
const EXPECT_EVERY = 2_000;
const GRACE = 8_000;

const dir = mkdtempSync(join(tmpdir(), "pantau-push-restart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const db = join(dir, "ledger.db");
const config = join(dir, "pantau.yaml");
writeFileSync(
  config,
  [
    "global: { failure_threshold: 1, success_threshold: 1, instance: push-restart }",
    `storage: { path: ${db}, heartbeat: 100ms }`,
    "targets:",
    `  - id: ${ID}`,
    "    service: core-sync",
    "    site: jakarta",
    `    push: { token: ${TOKEN}, expect_every: 2s, grace: 8s }`,
    "",
  ].join("\n"),
);

interface Running {
  daemon: DaemonProcess;
  base: string;
}

async function start(): Promise<Running> {
  const daemon = new DaemonProcess(["run", "--config", config, "--listen", "127.0.0.1:0"]);
  const line = await daemon.waitFor((l) => l.event === "start");
  return { daemon, base: `http://${line.listen as string}` };
}

async function kill({ daemon }: Running): Promise<void> {
  daemon.signal("SIGKILL");
  expect((await daemon.exited()).signal).toBe("SIGKILL");
}

interface Accepted {
  received_at: string;
  deadline: string;
}

/** A push answered 200: its time is in the ledger. */
async function push({ base }: Running): Promise<{ at: number; deadline: number }> {
  const response = await fetch(`${base}/api/v1/push/${ID}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const body = JSON.parse(text) as Accepted;
  const at = Date.parse(body.received_at);
  expect(Date.parse(body.deadline)).toBe(at + EXPECT_EVERY + GRACE);
  return { at, deadline: at + EXPECT_EVERY + GRACE };
}

interface TargetRow {
  id: string;
  state: string;
  push: { last_push_at: string | null; deadline: string } | null;
}

async function targetRow({ base }: Running): Promise<TargetRow | undefined> {
  const response = await fetch(`${base}/api/v1/targets`);
  const { targets } = (await response.json()) as { targets: TargetRow[] };
  return targets.find((t) => t.id === ID);
}

describe("a push target across SIGKILL restarts of pantau run", () => {
  it("opens no outage for a restart between pushes, and one at the exact missed deadline, also one missed while down", async () => {
    // the first daemon receives pushes, and is killed between two of them
    const first = await start();
    await push(first);
    await first.daemon.waitFor(isTransition(ID, "unknown", "up"));
    await push(first);
    const beforeKill = await push(first);
    await kill(first);

    // started again: the deadline runs from the last push the ledger has, not from the start
    const second = await start();
    const restored = await targetRow(second);
    expect(restored).toMatchObject({
      state: "up",
      push: {
        last_push_at: new Date(beforeKill.at).toISOString(),
        deadline: new Date(beforeKill.deadline).toISOString(),
      },
    });
    const afterRestart = await push(second);
    expect(afterRestart.at).toBeLessThan(beforeKill.deadline);
    await kill(second);

    // the third daemon receives no push: the deadline of the last one passes while it runs
    const third = await start();
    expect((await targetRow(third))?.state).toBe("up");
    const down = await third.daemon.waitFor(isTransition(ID, "up", "down"), 30_000);
    // and a push ends the outage
    const back = await push(third);
    await third.daemon.waitFor(isTransition(ID, "down", "up"));
    await kill(third);
    for (const daemon of [first.daemon, second.daemon, third.daemon]) {
      expect(daemon.lines.filter((l) => l.event === "transition" && l.to === "down")).toEqual(
        daemon === third.daemon ? [down] : [],
      );
    }

    // the next deadline passes while no daemon runs: the one started after it opens the
    // outage at that deadline, inside the gap, not at its own start
    await sleep(back.deadline - Date.now() + 500);
    const fourth = await start();
    await fourth.daemon.waitFor(isTransition(ID, "up", "down"));
    fourth.daemon.signal("SIGTERM");
    expect((await fourth.daemon.exited()).code).toBe(0);

    const ledger = openSqliteLedger(db, { readonly: true });
    try {
      const transitions = await ledger.transitions({ targetId: ID });
      expect(transitions.map((t) => [t.from, t.to, t.at, t.reason])).toEqual([
        ["unknown", "up", expect.any(Number), null],
        ["up", "down", afterRestart.deadline, "push_missed"],
        ["down", "up", back.at, null],
        ["up", "down", back.deadline, "push_missed"],
      ]);
      const outages = await ledger.outages({ targetId: ID });
      expect(outages).toHaveLength(2);
      expect(outages[0]).toMatchObject({
        start: afterRestart.deadline,
        end: back.at,
        lastOkAt: afterRestart.at,
        reason: "push_missed",
        detail: `no push since ${new Date(afterRestart.at).toISOString()} (expect_every 2s + grace 8s)`,
        endReason: "recovered",
      });
      expect(outages[1]).toMatchObject({
        start: back.deadline,
        end: null,
        lastOkAt: back.at,
        reason: "push_missed",
      });
      expect(transitions.at(-1)!.detectedAt).toBeGreaterThan(back.deadline);
      expect(await ledger.lastPushes("push-restart")).toEqual([
        { targetId: ID, at: back.at, status: "ok", message: "" },
      ]);
      expect((await ledger.runs({ instance: "push-restart" })).length).toBe(4);
    } finally {
      await ledger.close();
    }
  }, 90_000);
});
