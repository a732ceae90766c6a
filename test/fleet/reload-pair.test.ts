import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon/daemon.js";
import { memoryLogger } from "../support/memory-log.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-pair-reload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("reload and HA pairs", () => {
  it("refuses a reload that would make the daemon an HA member (a restart is needed)", async () => {
    const config = join(dir, "pantau.yaml");
    const targets = "targets:\n  - { id: portal, tcp: { host: 127.0.0.1, port: 9 } }\n";
    writeFileSync(config, `storage: { path: ${join(dir, "ledger.db")} }\n${targets}`);
    const daemon = await Daemon.start({
      configFile: config,
      logger: memoryLogger("warn").logger,
      listen: "none",
    });
    try {
      writeFileSync(
        config,
        `global: { ha_group: jkt, shard: { index: 1, count: 2 } }\nstorage: { url: "postgres://u@127.0.0.1:1/db" }\n${targets}`,
      );
      expect(await daemon.reload()).toEqual({
        ok: false,
        issues: [
          {
            code: "CONFIG_INVALID",
            file: config,
            line: 1,
            col: 1,
            path: "global.ha_group",
            message:
              "the HA pair is none, the file says jkt/1/2: changing ha_group or shard of an HA member takes a restart",
          },
        ],
      });
      expect(daemon.currentConfig.global.haGroup).toBeNull();
    } finally {
      await daemon.stop();
    }
  });
});
