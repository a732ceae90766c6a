import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresLedger } from "../../src/ledger/postgres.js";
import { DaemonProcess, isTransition, type LogLine } from "../support/daemon-process.js";
import { type RunningPostgres, startPostgres } from "../support/external/postgres.js";
import { startSwitchServer } from "../support/servers/switch.js";
import { until } from "../support/until.js";

/**
 * Issue #10's HA pair, end to end: two real `pantau run` daemons (distinct instances) in one
 * `ha_group` on a throwaway PostgreSQL cluster, probing a loopback target that the test switches
 * to failing. The leader is SIGKILLed during the outage; the standby must lead within two
 * heartbeats, and the ledger must hold exactly one outage from the first failed probe to the
 * first good one, written by the two members, with no restart or blind gap for the group.
 */

const HEARTBEAT_MS = 1000;
const dirs: string[] = [];
let server: RunningPostgres;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const isEvent = (event: string) => (line: LogLine) => line.event === event;
const isProbe = (result: string) => (line: LogLine) =>
  line.event === "probe" && line.target === "portal" && line.result === result;
const timeOf = (line: LogLine) => Date.parse(String(line.time));

/** GET a path of a daemon, at the address its start line names. */
async function get(start: LogLine, path: string): Promise<string> {
  return (await fetch(`http://${String(start.listen)}${path}`)).text();
}

const metric = (text: string, series: string) =>
  text
    .split("\n")
    .find((line) => line.startsWith(`${series} `))
    ?.split(" ")[1];

describe("HA pair on PostgreSQL", () => {
  it("the standby takes over a SIGKILLed leader mid-outage: one outage, true start and end, no gap", async () => {
    const url = await server.createDatabase("ha_pair");
    const dir = mkdtempSync(join(tmpdir(), "pantau-ha-"));
    dirs.push(dir);
    const target = await startSwitchServer();
    const config = (instance: string) => {
      const file = join(dir, `${instance}.yaml`);
      writeFileSync(
        file,
        `global: { interval: 300ms, timeout: 250ms, failure_threshold: 2, success_threshold: 2, instance: ${instance}, ha_group: jkt }
storage: { url: "${url}", heartbeat: ${HEARTBEAT_MS}ms }
targets:
  - { id: portal, http: { url: "${target.url}" } }
`,
      );
      return file;
    };
    const args = (instance: string) => [
      "run",
      "-c",
      config(instance),
      "--listen",
      "127.0.0.1:0",
      "--log-level",
      "debug",
    ];
    const leader = new DaemonProcess(args("jkt-a"));
    let standby: DaemonProcess | null = null;
    try {
      await leader.waitFor(isEvent("ha_leader"));
      const leaderStart = await leader.waitFor(isEvent("start"));
      standby = new DaemonProcess(args("jkt-b"));
      const started = await standby.waitFor(isEvent("start"));
      expect(started).toMatchObject({ ha_group: "jkt", ha_role: "standby", gap_seconds: null });
      expect(await get(leaderStart, "/-/ready")).toBe("pantau is ready: leader of HA group jkt.\n");
      expect(await get(started, "/-/ready")).toBe("pantau is ready: standby of HA group jkt.\n");
      const leaderGauge = 'pantau_ha_leader{ha_group="jkt"}';
      expect(metric(await get(leaderStart, "/metrics"), leaderGauge)).toBe("1");
      expect(metric(await get(started, "/metrics"), leaderGauge)).toBe("0");
      await leader.waitFor(isTransition("portal", "unknown", "up"));
      // the standby probes too (warm)
      await standby.waitFor(isProbe("ok"));

      target.setUp(false);
      await leader.waitFor(isTransition("portal", "up", "down"));
      // the standby exposes the outage once it read it from the ledger (within a heartbeat),
      // and logs no transition line of its own: the leader's is the one
      const down = 'pantau_target_state{target="portal",service="",site="",state="down"}';
      await until(async () => metric(await get(started, "/metrics"), down) === "1", {
        what: "the standby to show the leader's outage",
      });
      expect(standby.lines.filter(isTransition("portal", "up", "down"))).toEqual([]);
      const killedAt = Date.now();
      leader.signal("SIGKILL");
      expect(await leader.exited()).toEqual({ code: null, signal: "SIGKILL" });
      const took = await standby.waitFor(isEvent("ha_leader"), 10_000);
      const handover = timeOf(took) - killedAt;
      console.log(
        `handover: standby led ${handover} ms after the SIGKILL (heartbeat ${HEARTBEAT_MS} ms)`,
      );
      expect(handover).toBeLessThan(2 * HEARTBEAT_MS);
      expect(took).toMatchObject({ epoch: 2 });
      expect(await get(started, "/-/ready")).toBe("pantau is ready: leader of HA group jkt.\n");
      expect(metric(await get(started, "/metrics"), leaderGauge)).toBe("1");

      target.setUp(true);
      const recovery = await standby.waitFor(isTransition("portal", "down", "up"));
      // the log's outage is the ledger's: from the old leader's first failed probe
      expect(recovery.outage_started_at).toBe(leader.lines.find(isProbe("failed"))?.started_at);
      standby.signal("SIGTERM");
      expect(await standby.exited()).toEqual({ code: 0, signal: null });
    } finally {
      leader.signal("SIGKILL");
      standby?.signal("SIGKILL");
      await leader.exited();
      await standby?.exited();
      await target.close();
    }

    // true start: the first failed probe (the leader's); true end: the first good one after (the standby's)
    const failedAt = Date.parse(String(leader.lines.find(isProbe("failed"))?.started_at));
    const lastFailed = standby.lines.filter(isProbe("failed")).at(-1);
    const recoveredAt = Date.parse(
      String(
        standby.lines.find((l) => isProbe("ok")(l) && timeOf(l) > timeOf(lastFailed ?? {}))
          ?.started_at,
      ),
    );
    expect(Number.isFinite(failedAt) && Number.isFinite(recoveredAt)).toBe(true);

    const reader = await openPostgresLedger(url, { readonly: true });
    try {
      const runs = await reader.runs({});
      const runOf = (instance: string) => runs.find((r) => r.instance === instance)?.id;
      const chain = await reader.transitions({ instance: "jkt" });
      expect(chain.map((t) => [t.from, t.to, t.runId])).toEqual([
        ["unknown", "up", runOf("jkt-a")],
        ["up", "down", runOf("jkt-a")],
        ["down", "up", runOf("jkt-b")],
      ]);
      const outages = await reader.outages({});
      expect(outages).toHaveLength(1);
      expect(outages[0]).toMatchObject({
        instance: "jkt",
        targetId: "portal",
        start: failedAt,
        end: recoveredAt,
        endReason: "recovered",
      });
      // the handover is not monitor-blind time: no restart or blind gap at all
      expect(await reader.gaps({})).toEqual([]);
      expect(await reader.leader("jkt")).toMatchObject({ epoch: 2, runId: runOf("jkt-b") });
    } finally {
      await reader.close();
    }
  });
  it("a leader's clean stop hands over at the standby's next heartbeat, with no gap", async () => {
    const url = await server.createDatabase("ha_stop");
    const dir = mkdtempSync(join(tmpdir(), "pantau-ha-"));
    dirs.push(dir);
    const target = await startSwitchServer();
    const args = (instance: string) => {
      const file = join(dir, `${instance}.yaml`);
      writeFileSync(
        file,
        `global: { interval: 300ms, timeout: 250ms, instance: ${instance}, ha_group: sby }
storage: { url: "${url}", heartbeat: ${HEARTBEAT_MS}ms }
targets:
  - { id: portal, http: { url: "${target.url}" } }
`,
      );
      return ["run", "-c", file, "--listen", "none"];
    };
    const first = new DaemonProcess(args("sby-a"));
    let second: DaemonProcess | null = null;
    try {
      // the second starts once the first leads: started together, either may win the lock
      await first.waitFor(isEvent("ha_leader"));
      second = new DaemonProcess(args("sby-b"));
      await second.waitFor(isEvent("start"));
      first.signal("SIGTERM");
      expect(await first.exited()).toEqual({ code: 0, signal: null });
      const stoppedAt = Date.now();
      const took = await second.waitFor(isEvent("ha_leader"), 10_000);
      expect(timeOf(took) - stoppedAt).toBeLessThan(2 * HEARTBEAT_MS);
      second.signal("SIGTERM");
      expect(await second.exited()).toEqual({ code: 0, signal: null });
    } finally {
      first.signal("SIGKILL");
      second?.signal("SIGKILL");
      await Promise.all([first.exited(), second?.exited()]);
      await target.close();
    }
    const reader = await openPostgresLedger(url, { readonly: true });
    try {
      expect(await reader.gaps({})).toEqual([]);
      expect(
        (await reader.transitions({ instance: "sby" })).map((t) => `${t.from}>${t.to}`),
      ).toEqual(["unknown>up"]);
      const runs = await reader.runs({});
      expect(runs.every((run) => run.stoppedAt !== null)).toBe(true);
      expect(await reader.leader("sby")).toMatchObject({ epoch: 2 });
    } finally {
      await reader.close();
    }
  });
});
