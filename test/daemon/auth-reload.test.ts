import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon, DaemonStartError } from "../../src/daemon/daemon.js";
import { memoryLogger } from "../support/memory-log.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-auth-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, "pantau.yaml");
const tokenFile = join(dir, "token");

function writeConfig(targets: string[]): void {
  writeFileSync(
    config,
    [
      "global: { interval: 1s, timeout: 500ms, instance: auth-test }",
      `server: { listen: "127.0.0.1:0", bearer_token_file: ${tokenFile} }`,
      `storage: { path: ${join(dir, "ledger.db")} }`,
      "targets:",
      ...targets.map((id) => `  - { id: ${id}, tcp: { host: 127.0.0.1, port: 1 } }`),
      "",
    ].join("\n"),
  );
}

describe("bearer_token_file and POST /-/reload", () => {
  it("reads the token from the file at start and on every successful reload", async () => {
    writeFileSync(tokenFile, "first-token\n");
    writeConfig(["alpha"]);
    const daemon = await Daemon.start({ configFile: config, logger: memoryLogger("warn").logger });
    const { host, port } = daemon.httpAddress!;
    const call = async (path: string, token: string | null, method = "GET") => {
      const response = await fetch(`http://${host}:${port}${path}`, {
        method,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return { status: response.status, body: await response.text() };
    };
    try {
      expect((await call("/api/v1/targets", "first-token")).status).toBe(200);
      expect((await call("/api/v1/targets", null)).status).toBe(401);
      expect((await call("/-/reload", null, "POST")).status).toBe(401);

      writeFileSync(config, "global: { interval: 5x }\n");
      const rejected = await call("/-/reload", "first-token", "POST");
      expect(rejected.status).toBe(400);
      expect(JSON.parse(rejected.body)).toEqual({
        error: "config rejected",
        issues: [
          `${config}:1:1: missing required key "targets"`,
          `${config}:1:21: global.interval: "5x" is not a duration (use e.g. 500ms, 15s, 1m, 2h, 1d)`,
        ],
      });

      writeFileSync(tokenFile, "second-token\n");
      writeConfig(["alpha", "beta"]);
      const applied = await call("/-/reload", "first-token", "POST");
      expect(applied.status).toBe(200);
      expect(JSON.parse(applied.body)).toEqual({
        status: "ok",
        added: ["beta"],
        changed: [],
        removed: [],
      });
      expect((await call("/api/v1/targets", "first-token")).status).toBe(401);
      const targets = await call("/api/v1/targets", "second-token");
      expect(JSON.parse(targets.body).targets.map((t: { id: string }) => t.id)).toEqual([
        "alpha",
        "beta",
      ]);
      const metrics = (await call("/metrics", "second-token")).body;
      expect(metrics).toContain("\npantau_config_last_reload_successful 1\n");
    } finally {
      await daemon.stop();
    }
  });

  it("refuses to start when the token file cannot be read", async () => {
    writeConfig(["alpha"]);
    rmSync(tokenFile);
    const started = Daemon.start({ configFile: config, logger: memoryLogger("warn").logger });
    await expect(started).rejects.toThrow(DaemonStartError);
    await expect(started).rejects.toThrow(
      `${config}:1:1: server.bearer_token_file: cannot read "${tokenFile}" (ENOENT)`,
    );
  });
});
