import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon.js";
import { memoryLogger } from "../support/memory-log.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-canaries-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a daemon whose own network is cut", () => {
  it("says why it is not ready, shows pantau_monitor_blind and opens no outage", async () => {
    const config = join(dir, "pantau.yaml");
    // Port 1 on loopback refuses: every target, canaries included, fails at once.
    writeFileSync(
      config,
      [
        "global: { interval: 200ms, timeout: 150ms, failure_threshold: 2, instance: blind,",
        "          canaries: [canary-gateway, canary-dns] }",
        "server: { listen: '127.0.0.1:0' }",
        `storage: { path: ${join(dir, "ledger.db")} }`,
        "targets:",
        "  - { id: canary-gateway, tcp: { host: 127.0.0.1, port: 1 } }",
        "  - { id: canary-dns, tcp: { host: 127.0.0.1, port: 1 } }",
        "  - { id: simkim-core, tcp: { host: 127.0.0.1, port: 1 } }",
        "",
      ].join("\n"),
    );
    const daemon = await Daemon.start({ configFile: config, logger: memoryLogger("warn").logger });
    const { host, port } = daemon.httpAddress!;
    try {
      let ready = await fetch(`http://${host}:${port}/-/ready`);
      for (let i = 0; i < 100 && ready.status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        ready = await fetch(`http://${host}:${port}/-/ready`);
      }
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(
        /^pantau is not ready: monitor blind since \S+Z: every canary fails \(canary-gateway, canary-dns\)\n$/,
      );
      // several more rounds: still no outage for anyone
      await new Promise((resolve) => setTimeout(resolve, 800));
      const metrics = parsePromText(await (await fetch(`http://${host}:${port}/metrics`)).text());
      expect(sampleValue(metrics, "pantau_monitor_blind")).toBe(1);
      expect(await daemon.ledger.outages({ instance: "blind" })).toEqual([]);
      const gaps = await daemon.ledger.gaps({ instance: "blind" });
      expect(gaps.filter((g) => g.kind === "blind").map((g) => g.end)).toEqual([null]);
    } finally {
      await daemon.stop();
    }
  });
});
