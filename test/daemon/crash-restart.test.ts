import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { DaemonProcess, isTransition, type LogLine } from "../support/daemon-process.js";
import { startSwitchServer } from "../support/servers/switch.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(url: string): { config: string; db: string } {
  const db = join(dir, "ledger.db");
  const config = join(dir, "pantau.yaml");
  writeFileSync(
    config,
    [
      "global:",
      "  interval: 300ms",
      "  timeout: 250ms",
      "  failure_threshold: 2",
      "  success_threshold: 2",
      "  instance: crash-test",
      "storage:",
      `  path: ${db}`,
      "  heartbeat: 100ms",
      "targets:",
      "  - id: portal",
      "    service: immigration-portal",
      "    site: jakarta",
      `    http: { url: "${url}" }`,
      "",
    ].join("\n"),
  );
  return { config, db };
}

const probeLines = (d: DaemonProcess) =>
  d.lines.filter((l): l is LogLine & { started_at: string; result: string } => l.event === "probe");

describe("pantau run across a crash", () => {
  it("keeps one outage from the first failed probe to the first good one, with the gap recorded", async () => {
    const server = await startSwitchServer();
    const { config, db } = writeConfig(server.url);
    const args = ["run", "--config", config, "--listen", "127.0.0.1:0", "--log-level", "debug"];

    const first = new DaemonProcess(args);
    await first.waitFor(isTransition("portal", "unknown", "up"));
    server.setUp(false);
    await first.waitFor(isTransition("portal", "up", "down"));
    const firstFailure = probeLines(first).find((l) => l.result === "failed");
    first.signal("SIGKILL");
    const killedAt = Date.now();
    expect((await first.exited()).signal).toBe("SIGKILL");

    const second = new DaemonProcess(args);
    await second.waitFor((l) => l.event === "start");
    server.setUp(true);
    await second.waitFor(isTransition("portal", "down", "up"));
    const firstGood = probeLines(second).find((l) => l.result === "ok");
    second.signal("SIGTERM");
    expect((await second.exited()).code).toBe(0);
    await server.close();

    const ledger = openSqliteLedger(db, { readonly: true });
    try {
      const outages = await ledger.outages({ targetId: "portal" });
      expect(outages).toHaveLength(1);
      const [outage] = outages;
      expect(outage?.start).toBe(Date.parse(firstFailure!.started_at));
      expect(outage?.end).toBe(Date.parse(firstGood!.started_at));
      expect(outage?.reason).toBe("status");
      expect(outage?.detail).toBe("status 503 not in 200-299");
      expect(outage?.endReason).toBe("recovered");

      const runs = await ledger.runs({ instance: "crash-test" });
      expect(runs).toHaveLength(2);
      expect(runs[0]?.stoppedAt).toBeNull();
      expect(runs[1]?.stoppedAt).not.toBeNull();

      const gaps = await ledger.gaps({ instance: "crash-test" });
      expect(gaps).toHaveLength(1);
      expect(gaps[0]?.kind).toBe("restart");
      expect(gaps[0]?.start).toBe(runs[0]?.lastHeartbeat);
      expect(gaps[0]?.end).toBe(runs[1]?.startedAt);
      expect(gaps[0]!.start).toBeLessThanOrEqual(killedAt);
      expect(gaps[0]!.end!).toBeGreaterThan(killedAt);

      const transitions = await ledger.transitions({ targetId: "portal" });
      expect(transitions.map((t) => `${t.from}->${t.to}`)).toEqual([
        "unknown->up",
        "up->down",
        "down->up",
      ]);
    } finally {
      await ledger.close();
    }
  }, 30_000);
});
