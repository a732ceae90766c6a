import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startOnFakeTime } from "../support/daemon-on-fake-time.js";
import { memoryLogger } from "../support/memory-log.js";
import { startSwitchServer } from "../support/servers/switch.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-maint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("GET /api/v1/maintenance", () => {
  it("lists each window with its targets, the occurrence in progress and the next ones", async () => {
    const server = await startSwitchServer();
    const config = join(dir, "pantau.yaml");
    writeFileSync(
      config,
      [
        "global: { interval: 200ms, timeout: 150ms, instance: maint }",
        "server: { listen: '127.0.0.1:0' }",
        `storage: { path: ${join(dir, "ledger.db")} }`,
        "maintenance:",
        // every minute for two minutes: always in progress
        "  - { name: rolling, targets: ['autogate-*'], cron: '* * * * *', duration: 2m }",
        "  - { name: sundays, sites: [pdns2], cron: '0 2 * * SUN', timezone: Asia/Jakarta, duration: 2h }",
        "targets:",
        `  - { id: autogate-cgk, site: cgk, http: { url: "${server.url}" } }`,
        `  - { id: simkim-core, site: pdns2, http: { url: "${server.url}" } }`,
        "",
      ].join("\n"),
    );
    const fake = await startOnFakeTime(
      { configFile: config, logger: memoryLogger("warn").logger },
      { stepMs: 50 },
    );
    const { daemon } = fake;
    const { host, port } = daemon.httpAddress!;
    const get = async (path: string) => (await fetch(`http://${host}:${port}${path}`)).json();
    try {
      const { windows } = (await get("/api/v1/maintenance")) as {
        windows: Record<string, unknown>[];
      };
      expect(windows.map((w) => [w.name, w.targets])).toEqual([
        ["rolling", ["autogate-cgk"]],
        ["sundays", ["simkim-core"]],
      ]);
      expect(windows[0]?.active).not.toBeNull();
      expect(windows[0]?.duration_seconds).toBe(120);
      const sundays = windows[1] as { active: unknown; next: { start: string; end: string }[] };
      expect(sundays.next).toHaveLength(3);
      for (const occurrence of sundays.next) {
        // 02:00 in Jakarta on a Sunday is 19:00Z on the Saturday before
        expect(new Date(occurrence.start).getUTCDay()).toBe(6);
        expect(occurrence.start.slice(11)).toBe("19:00:00.000Z");
        expect(Date.parse(occurrence.end) - Date.parse(occurrence.start)).toBe(7_200_000);
      }
      const { targets } = await fake.until(
        async () => {
          const answer = (await get("/api/v1/targets")) as {
            targets: { id: string; maintenance: boolean; state: string }[];
          };
          return answer.targets.every((t) => t.state !== "unknown") && answer;
        },
        { what: "every target out of unknown" },
      );
      expect(targets.map((t) => [t.id, t.maintenance])).toEqual([
        ["autogate-cgk", true],
        ["simkim-core", false],
      ]);
    } finally {
      await daemon.stop();
      await server.close();
    }
  });
});
