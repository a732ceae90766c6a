import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon/daemon.js";
import { memoryLogger } from "../support/memory-log.js";
import { type SwitchServer, startSwitchServer } from "../support/servers/switch.js";
import { until } from "../support/until.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-promtool-"));
let server: SwitchServer;
let daemon: Daemon;

beforeAll(async () => {
  server = await startSwitchServer();
  const config = join(dir, "pantau.yaml");
  writeFileSync(
    config,
    [
      "global: { interval: 200ms, timeout: 150ms, failure_threshold: 1, instance: promtool }",
      "server: { listen: 127.0.0.1:0 }",
      `storage: { path: ${join(dir, "ledger.db")} }`,
      "targets:",
      `  - { id: portal, service: immigration-portal, site: jakarta, http: { url: "${server.url}" } }`,
      `  - { id: core, service: immigration-core, site: pdns2, tcp: { host: 127.0.0.1, port: 1 } }`,
      "",
    ].join("\n"),
  );
  daemon = await Daemon.start({ configFile: config, logger: memoryLogger("info").logger });
});

afterAll(async () => {
  await daemon?.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("promtool check metrics", () => {
  it("passes on a live /metrics with outages, failures and transitions in it", async () => {
    const { host, port } = daemon.httpAddress!;
    let text = "";
    // Wait until both a failure reason and a down transition are exposed.
    const wentDown = 'from="unknown",to="down"} 1';
    await until(
      async () => {
        text = await (await fetch(`http://${host}:${port}/metrics`)).text();
        return text.includes(wentDown);
      },
      { what: "a down transition in /metrics", timeoutMs: 5000, intervalMs: 50 },
    ).catch(() => undefined); // the assertions below say what is missing
    expect(text).toContain('pantau_probe_failures_total{target="core"');
    expect(text).toContain(wentDown);
    const version = execFileSync("promtool", ["--version"], { encoding: "utf8" });
    expect(version).toMatch(/promtool, version 2\./);
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({
      status: 0,
      out: "",
    });
  });
});
