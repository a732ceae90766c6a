import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DaemonProcess } from "../support/daemon-process.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-shipped-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pantau run --config config/pantau.yaml", () => {
  it("starts, probes every target, and stops cleanly on SIGTERM", async () => {
    const config = resolve("config/pantau.yaml");
    // cwd is a temp dir so the relative storage.path lands there, not in the repo.
    const daemon = new DaemonProcess(
      ["run", "--config", config, "--listen", "127.0.0.1:0", "--log-level", "debug"],
      { cwd: dir },
    );
    const start = await daemon.waitFor((l) => l.event === "start");
    expect(start.targets).toBe(14);
    // Placeholder hosts do not resolve here: every probe ends as a `dns` failure.
    await daemon.waitFor((l) => l.event === "probe" && l.target === "autogate-cgk", 40_000);
    const probe = daemon.lines.find((l) => l.event === "probe" && l.target === "autogate-cgk");
    expect(probe).toMatchObject({ result: "failed", reason: "dns" });
    daemon.signal("SIGTERM");
    expect(await daemon.exited()).toEqual({ code: 0, signal: null });
    expect(daemon.lines.at(-1)?.msg).toBe("pantau stopped cleanly");
  }, 60_000);
});
