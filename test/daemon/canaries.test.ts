import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startOnFakeTime } from "../support/daemon-on-fake-time.js";
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
    const fake = await startOnFakeTime(
      { configFile: config, logger: memoryLogger("warn").logger },
      { stepMs: 50 },
    );
    const { daemon } = fake;
    const { host, port } = daemon.httpAddress!;
    try {
      const ready = await fake.until(
        async () => {
          const answer = await fetch(`http://${host}:${port}/-/ready`);
          return answer.status === 200 ? null : answer;
        },
        { what: "/-/ready to stop answering 200" },
      );
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(
        /^pantau is not ready: monitor blind since \S+Z: every canary fails \(canary-gateway, canary-dns\)\n$/,
      );
      // several more rounds: still no outage for anyone
      await fake.run(800);
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
