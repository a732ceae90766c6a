import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { DaemonProcess, isTransition } from "../support/daemon-process.js";
import { startSwitchServer } from "../support/servers/switch.js";
import { until } from "../support/until.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-reload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, "ledger.db");
const config = join(dir, "pantau.yaml");

function writeTargets(targets: { id: string; url: string }[]): void {
  const lines = [
    "global: { interval: 200ms, timeout: 150ms, failure_threshold: 2, success_threshold: 1, instance: reload-test }",
    `storage: { path: ${db}, heartbeat: 100ms }`,
    "targets:",
    ...targets.map((t) => `  - { id: ${t.id}, http: { url: "${t.url}" } }`),
    "",
  ];
  writeFileSync(config, lines.join("\n"));
}

const probesOf = (d: DaemonProcess, id: string) =>
  d.lines.filter((l) => l.event === "probe" && l.target === id).length;

describe("pantau run reloads on SIGHUP", () => {
  it("rejects a broken config and keeps probing the old targets, then applies a good one", async () => {
    const a = await startSwitchServer();
    const b = await startSwitchServer();
    writeTargets([{ id: "alpha", url: a.url }]);
    const daemon = new DaemonProcess([
      "run",
      "--config",
      config,
      "--listen",
      "127.0.0.1:0",
      "--log-level",
      "debug",
    ]);
    try {
      await daemon.waitFor(isTransition("alpha", "unknown", "up"));

      writeFileSync(config, "global:\n  interval: 5x\ntargets: []\n");
      daemon.signal("SIGHUP");
      const rejected = await daemon.waitFor((l) => l.event === "reload" && l.ok === false);
      expect(rejected.msg).toBe("config reload rejected; keeping the old one");
      const error = await daemon.waitFor((l) => l.event === "reload_error");
      expect(error.msg).toContain(`${config}:2:13: global.interval:`);
      const before = probesOf(daemon, "alpha");
      await until(() => probesOf(daemon, "alpha") >= before + 3, {
        what: "three more probes of alpha after the rejected reload",
      });

      // alpha goes down, then leaves the config: its outage must end as `removed`.
      a.setUp(false);
      await daemon.waitFor(isTransition("alpha", "up", "down"));
      writeTargets([{ id: "beta", url: b.url }]);
      daemon.signal("SIGHUP");
      const applied = await daemon.waitFor((l) => l.event === "reload" && l.ok === true);
      expect(applied.added).toEqual(["beta"]);
      expect(applied.removed).toEqual(["alpha"]);
      await daemon.waitFor(isTransition("beta", "unknown", "up"));
      await daemon.waitFor(isTransition("alpha", "down", "unknown"));
    } finally {
      daemon.signal("SIGTERM");
      expect((await daemon.exited()).code).toBe(0);
      await a.close();
      await b.close();
    }

    const ledger = openSqliteLedger(db, { readonly: true });
    try {
      const [outage] = await ledger.outages({ targetId: "alpha" });
      expect(outage?.endReason).toBe("removed");
      expect(outage?.end).not.toBeNull();
    } finally {
      await ledger.close();
    }
  }, 30_000);

  it("continues a re-added target's ledger chain: removed while up, back, then down", async () => {
    const server = await startSwitchServer();
    const againDb = join(dir, "readded.db");
    const write = (ids: string[]) =>
      writeFileSync(
        config,
        [
          "global: { interval: 200ms, timeout: 150ms, failure_threshold: 2, success_threshold: 1, instance: readded }",
          `storage: { path: ${againDb}, heartbeat: 100ms }`,
          "targets:",
          ...ids.map((id) => `  - { id: ${id}, http: { url: "${server.url}" } }`),
          "",
        ].join("\n"),
      );
    write(["anchor", "gamma"]);
    const daemon = new DaemonProcess(["run", "--config", config, "--listen", "none"]);
    try {
      await daemon.waitFor(isTransition("gamma", "unknown", "up"));
      await daemon.waitFor(isTransition("anchor", "unknown", "up"));
      write(["anchor"]);
      daemon.signal("SIGHUP");
      await daemon.waitFor((l) => l.event === "reload" && l.ok === true);
      write(["anchor", "gamma"]);
      daemon.signal("SIGHUP");
      const back = await daemon.waitFor(
        (l) =>
          l.event === "reload" && l.ok === true && Array.isArray(l.added) && l.added.length > 0,
      );
      expect(back.added).toEqual(["gamma"]);
      // gamma is still up in the ledger: its next transition must start there
      server.setUp(false);
      await daemon.waitFor(isTransition("gamma", "up", "down"));
      await daemon.waitFor(isTransition("anchor", "up", "down"));
      expect(daemon.lines.filter((l) => l.event === "ledger_refused")).toEqual([]);
    } finally {
      daemon.signal("SIGTERM");
      expect((await daemon.exited()).code).toBe(0);
      await server.close();
    }
  }, 30_000);
});
