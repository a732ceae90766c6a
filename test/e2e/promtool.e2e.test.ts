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

/**
 * promtool (2.42) reads only the classic text format: on OpenMetrics it takes every `_total` and
 * `_created` sample for an untyped family without help. OpenMetrics is checked with the format's
 * reference parser instead (python3-prometheus-client, from Debian: strict on names, suffixes,
 * units, ordering and `# EOF`), and prometheus-scrape.e2e.test.ts has Prometheus itself take it.
 */
const OPENMETRICS_PARSER = [
  "import sys",
  "from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse",
  "families = list(parse(sys.stdin.read()))",
  "print(len(families), sum(len(f.samples) for f in families))",
].join("\n");

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

  it("reads pantau's OpenMetrics as valid with the reference parser, which also rejects a broken one", async () => {
    const { host, port } = daemon.httpAddress!;
    const response = await fetch(`http://${host}:${port}/metrics`, {
      headers: { accept: "application/openmetrics-text; version=1.0.0" },
    });
    expect(response.headers.get("content-type")).toBe(
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
    );
    const text = await response.text();
    const check = (input: string) =>
      spawnSync("/usr/bin/python3", ["-c", OPENMETRICS_PARSER], { input, encoding: "utf8" });
    const valid = check(text);
    expect({ status: valid.status, err: valid.stderr }).toEqual({ status: 0, err: "" });
    expect(valid.stdout).toMatch(/^\d+ \d+\n$/);
    // the parser is strict where it matters: without # EOF, or with a counter sample misnamed
    expect(check(text.replace("# EOF\n", "")).status).not.toBe(0);
    expect(check(text.replace("pantau_probes_total{", "pantau_probes{")).status).not.toBe(0);
  });
});
