import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startOnFakeTime } from "../support/daemon-on-fake-time.js";
import { memoryLogger } from "../support/memory-log.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";
import { startSwitchServer } from "../support/servers/switch.js";

const TARGETS = 2000;
const dir = mkdtempSync(join(tmpdir(), "pantau-mass-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a mass outage", () => {
  it("commits 2,000 simultaneous →down transitions in a few transactions", async () => {
    const server = await startSwitchServer();
    const config = join(dir, "pantau.yaml");
    writeFileSync(
      config,
      [
        "global: { timeout: 9s, failure_threshold: 2, max_in_flight: 5000, instance: mass }",
        `storage: { path: ${join(dir, "ledger.db")} }`,
        "targets:",
        // Every target on the same cron second: they are probed, and fail, together. Probes
        // and the server share one process here, so 2,000 at once take about a second, and
        // several on a busy machine: on fake time, a long period (and the timeout it allows)
        // costs no waiting.
        "  - id: gate-{n}",
        "    schedule: '*/10 * * * * *'",
        `    http: { url: "${server.url}?gate={n}" }`,
        "    each:",
        ...Array.from({ length: TARGETS }, (_, n) => `      - { n: "${n}" }`),
        "",
      ].join("\n"),
    );
    const fake = await startOnFakeTime(
      { configFile: config, logger: memoryLogger("warn").logger, listen: "none" },
      { stepMs: 1000 },
    );
    const { daemon } = fake;
    try {
      const writes = async () =>
        sampleValue(parsePromText(await daemon.metrics.render()), "pantau_ledger_writes_total", {
          result: "ok",
        });
      const count = async (to: string) =>
        (await daemon.ledger.transitions({ instance: "mass", limit: 10_000 })).filter(
          (t) => t.to === to,
        ).length;
      await fake.until(async () => (await count("up")) === TARGETS, {
        what: `${TARGETS} targets up`,
        timeoutMs: 25_000,
      });
      const writesBefore = await writes();
      server.setUp(false);
      await fake.until(async () => (await count("down")) === TARGETS, {
        what: `${TARGETS} targets down`,
        timeoutMs: 25_000,
      });
      const transactions = (await writes()) - writesBefore;
      expect(transactions).toBeGreaterThan(0);
      expect(transactions).toBeLessThanOrEqual(20);
      const outages = await daemon.ledger.outages({ instance: "mass", open: true });
      expect(outages).toHaveLength(TARGETS);
    } finally {
      await daemon.stop();
      await server.close();
    }
  }, 60_000);
});
