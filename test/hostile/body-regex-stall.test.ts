/**
 * A pathological body_regex against a 1 MiB body, in the real daemon: the hostile target's
 * probes fail within their timeout while a steady target beside it keeps its 200 ms schedule.
 * With the match on the event loop, each hostile probe would hold every other target for
 * seconds (a backtracking engine: for ever).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DaemonProcess, type LogLine } from "../support/daemon-process.js";
import { startHttpServer } from "../support/servers/loopback.js";
import { until } from "../support/until.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-regex-stall-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIB = 1 << 20;
const STEADY_INTERVAL_MS = 200;

describe("a pathological body_regex over a 1 MiB body", () => {
  it("fails its own target's probes and leaves the other targets on schedule", async () => {
    const hostileBody = Buffer.from(`${"a".repeat(MIB - 1)}!`);
    const hostile = await startHttpServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/plain" }).end(hostileBody);
    });
    const steady = await startHttpServer((_request, response) => {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
    const config = join(dir, "pantau.yaml");
    writeFileSync(
      config,
      [
        "global: { failure_threshold: 1, success_threshold: 1, instance: regex-stall }",
        `storage: { path: ${join(dir, "ledger.db")} }`,
        "targets:",
        `  - id: hostile`,
        `    interval: 2s`,
        `    timeout: 1500ms`,
        `    http: { url: "${hostile.url()}" }`,
        `    expect: { body_regex: "^(\\\\w+\\\\s?)*$" }`,
        `  - { id: steady, interval: ${STEADY_INTERVAL_MS}ms, timeout: 150ms, http: { url: "${steady.url()}" } }`,
        "",
      ].join("\n"),
    );
    const daemon = new DaemonProcess(
      ["run", "--config", config, "--listen", "127.0.0.1:0", "--log-level", "debug"],
      { cwd: dir },
    );
    const probes = (id: string) =>
      daemon.lines.filter((l): l is LogLine & { started_at: string } => {
        return l.event === "probe" && l.target === id;
      });
    try {
      await until(() => probes("hostile").length >= 3, {
        what: "three probes of the hostile target",
        timeoutMs: 20_000,
      });
      const hostileProbes = probes("hostile");
      for (const probe of hostileProbes) {
        expect(probe).toMatchObject({ result: "failed" });
        expect(["timeout", "body"]).toContain(probe.reason);
        expect(probe.duration_ms as number).toBeLessThan(3000);
      }
      // while the hostile body was being judged, the steady target never waited
      const from = Date.parse(hostileProbes[0]?.started_at ?? "");
      const to = Date.parse(hostileProbes.at(-1)?.started_at ?? "") + 1500;
      const starts = probes("steady")
        .map((p) => Date.parse(p.started_at))
        .filter((at) => at >= from && at <= to);
      const gaps = starts.slice(1).map((at, i) => at - (starts[i] as number));
      // half its schedule at least, and never a long wait: a match on the event loop holds it
      // 2–7 s on Node 20 (1.5 s leaves room for a loaded machine)
      expect(starts.length).toBeGreaterThanOrEqual(((to - from) / STEADY_INTERVAL_MS) * 0.5);
      expect(Math.max(...gaps)).toBeLessThan(1500);
    } finally {
      daemon.signal("SIGTERM");
      await daemon.exited();
      await hostile.close();
      await steady.close();
    }
  }, 40_000);
});
