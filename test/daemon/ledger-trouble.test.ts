import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon/daemon.js";
import { startOnFakeTime } from "../support/daemon-on-fake-time.js";
import { connectionOf, fillLedger } from "../support/full-ledger.js";
import { memoryLogger } from "../support/memory-log.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";
import { startSwitchServer } from "../support/servers/switch.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-ledger-trouble-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a daemon whose ledger cannot be written", () => {
  it("keeps probing, is not ready and says why, logs per interval, then commits everything in order", async () => {
    const server = await startSwitchServer();
    const config = join(dir, "pantau.yaml");
    writeFileSync(
      config,
      [
        "global: { interval: 100ms, timeout: 80ms, failure_threshold: 2, success_threshold: 2,",
        "          instance: trouble }",
        "server: { listen: '127.0.0.1:0' }",
        // room for two: the flap's third transition is put off and decided again after recovery
        `storage: { path: ${join(dir, "ledger.db")}, heartbeat: 100ms, max_pending: 2 }`,
        "targets:",
        `  - { id: simkim-core, http: { url: "${server.url}" } }`,
        "",
      ].join("\n"),
    );
    const log = memoryLogger("info");
    // on fake time: probes, commit retries, heartbeats and the once-a-second report
    const fake = await startOnFakeTime(
      {
        configFile: config,
        logger: log.logger,
        engineTuning: { commitRetryMs: 50, commitRetryMaxMs: 200, ledgerReportEveryMs: 1000 },
      },
      { stepMs: 50 },
    );
    const { daemon, time } = fake;
    const { host, port } = daemon.httpAddress!;
    const base = `http://${host}:${port}`;
    const ready = async () => {
      const response = await fetch(`${base}/-/ready`);
      return { status: response.status, text: await response.text() };
    };
    const metrics = async () => parsePromText(await (await fetch(`${base}/metrics`)).text());
    const stored = () =>
      daemon.ledger.transitions({ instance: "trouble", targetId: "simkim-core" });
    const events = (event: string) => log.lines.filter((l) => l.event === event);
    try {
      await fake.until(async () => (await stored()).length === 1, { what: "the first transition" });
      const db = connectionOf(daemon);
      fillLedger(db);
      const troubleStarted = time.now();
      server.setUp(false);
      await fake.until(async () => (await ready()).status === 503, {
        what: "/-/ready to answer 503",
      });
      expect((await ready()).text).toMatch(
        /^pantau is not ready: ledger not writable since \S+Z: SQLITE_FULL: database or disk is full; [1-9]\d* transitions pending\n$/,
      );
      // a flap while unwritable: down, up, down again, all queued
      await fake.run(700);
      server.setUp(true);
      await fake.run(700);
      server.setUp(false);
      await fake.run(1200);
      const during = await metrics();
      const probesDuring = sampleValue(during, "pantau_probes_total", {
        target: "simkim-core",
        result: "failed",
      });
      expect(probesDuring).toBeGreaterThanOrEqual(10);
      expect(
        sampleValue(during, "pantau_ledger_writes_total", { result: "error" }),
      ).toBeGreaterThan(5);
      expect(sampleValue(during, "pantau_ledger_queue_length")).toBe(2);
      expect(sampleValue(during, "pantau_ledger_writable")).toBe(0);
      expect(sampleValue(during, "pantau_ledger_queue_limit")).toBe(2);
      expect(sampleValue(during, "pantau_ledger_queue_dropped_total")).toBe(1);
      expect((await ready()).text).toMatch(/; 2 transitions pending\n$/);
      // nothing is exposed before it is committed: still up as far as anyone can see
      expect(
        sampleValue(during, "pantau_target_state", { target: "simkim-core", state: "up" }),
      ).toBe(1);
      const targets = (await (await fetch(`${base}/api/v1/targets`)).json()) as {
        targets: { id: string; state: string }[];
      };
      expect(targets.targets.find((t) => t.id === "simkim-core")?.state).toBe("up");
      expect((await stored()).length).toBe(1);
      // one warning per second of trouble, not one per failed commit or heartbeat
      const troubleSeconds = (time.now() - troubleStarted) / 1000;
      const warnings = events("ledger_unwritable");
      expect(warnings.length).toBeGreaterThanOrEqual(2);
      expect(warnings.length).toBeLessThanOrEqual(Math.ceil(troubleSeconds) + 1);
      expect(events("transition")).toEqual([
        expect.objectContaining({ from: "unknown", to: "up" }),
      ]);

      db.pragma("max_page_count = 1073741823");
      await fake.until(async () => (await ready()).status === 200, {
        what: "/-/ready to answer 200",
      });
      await fake.until(async () => (await stored()).length >= 4, {
        what: "four transitions stored",
      });
      const transitions = await stored();
      expect(transitions.slice(0, 4).map((t) => `${t.from}->${t.to}`)).toEqual([
        "unknown->up",
        "up->down",
        "down->up",
        "up->down",
      ]);
      const ats = transitions.map((t) => t.at);
      expect(ats).toEqual([...ats].sort((a, b) => a - b));
      // the outage starts at its first failed probe, not when the ledger took it
      const [first] = await daemon.ledger.outages({ instance: "trouble", targetId: "simkim-core" });
      expect(first!.start - troubleStarted).toBeGreaterThanOrEqual(0);
      expect(first!.start - troubleStarted).toBeLessThan(400);
      expect(first!.end! - first!.start).toBeGreaterThan(500);
      expect(events("ledger_writable")).toHaveLength(1);
      const after = await metrics();
      expect(sampleValue(after, "pantau_ledger_queue_length")).toBe(0);
      expect(sampleValue(after, "pantau_ledger_writable")).toBe(1);
      expect(sampleValue(after, "pantau_ledger_queue_dropped_total")).toBe(1);
      // the put-off →down starts at its first failed probe, before the ledger came back
      expect(transitions[3]!.at).toBeLessThan(transitions[3]!.detectedAt - 800);
      expect(events("transition").length).toBe(transitions.length);
    } finally {
      connectionOf(daemon).pragma("max_page_count = 1073741823");
      await daemon.stop();
      await server.close();
    }
  }, 30_000);

  it("survives failing heartbeats on a read-only ledger, says so, and recovers", async () => {
    const server = await startSwitchServer();
    const config = join(dir, "readonly.yaml");
    writeFileSync(
      config,
      [
        "global: { interval: 100ms, timeout: 80ms, instance: readonly }",
        "server: { listen: '127.0.0.1:0' }",
        `storage: { path: ${join(dir, "readonly.db")}, heartbeat: 50ms }`,
        "targets:",
        `  - { id: portal, http: { url: "${server.url}" } }`,
        "",
      ].join("\n"),
    );
    const log = memoryLogger("info");
    // on fake time, the heartbeat too: it beats when the test moves the clock
    const fake = await startOnFakeTime(
      { configFile: config, logger: log.logger, engineTuning: { ledgerReportEveryMs: 1000 } },
      { stepMs: 50 },
    );
    const { daemon } = fake;
    const { host, port } = daemon.httpAddress!;
    const ready = async () => {
      const response = await fetch(`http://${host}:${port}/-/ready`);
      return { status: response.status, text: await response.text() };
    };
    const events = (event: string) => log.lines.filter((l) => l.event === event);
    const metrics = async () =>
      parsePromText(await (await fetch(`http://${host}:${port}/metrics`)).text());
    try {
      await fake.until(
        async () => (await daemon.ledger.transitions({ instance: "readonly" })).length === 1,
        { what: "the first transition" },
      );
      expect(sampleValue(await metrics(), "pantau_ledger_writable")).toBe(1);
      const db = connectionOf(daemon);
      // a read-only file, as far as this connection can tell
      db.pragma("query_only = ON");
      await fake.until(async () => (await ready()).status === 503, {
        what: "/-/ready to answer 503",
      });
      // nothing waits to commit: the queue and the commit counter cannot tell, this gauge does
      const during = await metrics();
      expect(sampleValue(during, "pantau_ledger_writable")).toBe(0);
      expect(sampleValue(during, "pantau_ledger_queue_length")).toBe(0);
      expect(sampleValue(during, "pantau_ledger_writes_total", { result: "error" })).toBe(0);
      expect(sampleValue(during, "pantau_ledger_queue_limit")).toBe(100_000);
      expect((await ready()).text).toMatch(
        /^pantau is not ready: ledger not writable \(heartbeat\) since \S+Z: SQLITE_READONLY: attempt to write a readonly database; 0 transitions pending\n$/,
      );
      // twelve failed heartbeats, one warning
      await fake.run(600);
      expect(events("ledger_unwritable")).toHaveLength(1);
      db.pragma("query_only = OFF");
      await fake.until(async () => (await ready()).status === 200, {
        what: "/-/ready to answer 200",
      });
      expect(events("ledger_writable")).toHaveLength(1);
      expect(sampleValue(await metrics(), "pantau_ledger_writable")).toBe(1);
    } finally {
      // writable again, so that a failed assertion is not hidden by a failed stop
      connectionOf(daemon).pragma("query_only = OFF");
      await daemon.stop();
      await server.close();
    }
  });
});

describe("storage.max_pending on reload", () => {
  it("applies the file's new bound to the ledger queue, says so in the reload line, and keeps it otherwise", async () => {
    const config = join(dir, "max-pending.yaml");
    const write = (maxPending: number | null) =>
      writeFileSync(
        config,
        [
          "global: { interval: 1h, timeout: 1s, instance: max-pending }",
          `storage: { path: ${join(dir, "max-pending.db")}${maxPending === null ? "" : `, max_pending: ${maxPending}`} }`,
          "targets:",
          "  - { id: portal, tcp: { host: 127.0.0.1, port: 1 } }",
          "",
        ].join("\n"),
      );
    write(5);
    const log = memoryLogger("info");
    const daemon = await Daemon.start({ configFile: config, logger: log.logger, listen: "none" });
    const reloads = () => log.lines.filter((l) => l.event === "reload");
    const limit = async () =>
      sampleValue(parsePromText(await daemon.metrics.render()), "pantau_ledger_queue_limit");
    try {
      expect(daemon.engine.queueState.max).toBe(5);
      expect(await limit()).toBe(5);
      write(2);
      expect(await daemon.reload()).toMatchObject({ ok: true });
      expect(daemon.engine.queueState.max).toBe(2);
      expect(await limit()).toBe(2);
      expect(reloads().at(-1)).toMatchObject({ ok: true, max_pending: 2 });
      // unchanged: not mentioned
      expect(await daemon.reload()).toMatchObject({ ok: true });
      expect(reloads().at(-1)).not.toHaveProperty("max_pending");
      // left out: the default again
      write(null);
      await daemon.reload();
      expect(daemon.engine.queueState.max).toBe(100_000);
      expect(reloads().at(-1)).toMatchObject({ max_pending: 100_000 });
      // a rejected file changes nothing
      writeFileSync(config, "storage: { max_pending: 0 }\ntargets: []\n");
      expect(await daemon.reload()).toMatchObject({ ok: false });
      expect(daemon.engine.queueState.max).toBe(100_000);
      expect(await limit()).toBe(100_000);
    } finally {
      await daemon.stop();
    }
  });
});
