import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DaemonProcess } from "../support/daemon-process.js";

/** Two `pantau run` of one instance on one SQLite ledger: the second is refused; a crash frees it. */
const dir = mkdtempSync(join(tmpdir(), "pantau-instance-lock-"));
const ledger = join(dir, "pantau.db");
const config = join(dir, "pantau.yaml");
writeFileSync(
  config,
  `global: { instance: jakarta-1, interval: 1s, timeout: 500ms }
storage: { path: "${ledger}" }
targets: [{ id: portal, tcp: { host: 127.0.0.1, port: 1 } }]
`,
);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("one daemon per instance on a SQLite ledger", () => {
  it("refuses a second daemon of the instance (exit 1, what to do); a SIGKILL frees the lock", async () => {
    const first = new DaemonProcess(["run", "-c", config, "--listen", "none"]);
    try {
      await first.waitFor((line) => line.event === "start");
      const second = new DaemonProcess(["run", "-c", config, "--listen", "none"]);
      expect(await second.exited()).toEqual({ code: 1, signal: null });
      expect(second.stderr.join("\n")).toContain(
        `LEDGER_LOCKED: instance "jakarta-1" is already running on ${ledger} (its lock ${ledger}.jakarta-1.lock is held); stop it, or give this daemon another global.instance`,
      );
      expect(second.lines.some((line) => line.event === "start")).toBe(false);
      first.signal("SIGKILL");
      await first.exited();
      const third = new DaemonProcess(["run", "-c", config, "--listen", "none"]);
      await third.waitFor((line) => line.event === "start");
      third.signal("SIGTERM");
      expect(await third.exited()).toEqual({ code: 0, signal: null });
    } finally {
      first.signal("SIGKILL");
      await first.exited();
    }
  });
});
