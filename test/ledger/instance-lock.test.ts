import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isLedgerError } from "../../src/ledger/errors.js";
import { InstanceLock } from "../../src/ledger/instance-lock.js";

/**
 * The lock is the operating system's (a file lock SQLite holds): another process is what it
 * keeps out, so the other side runs in a child.
 */
const dir = mkdtempSync(join(tmpdir(), "pantau-lock-"));
const ledger = join(dir, "pantau.db");

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Tries the lock in a child process: "taken", or the error's code. */
function tryInChild(instance: string): string {
  const script = `
    import { InstanceLock } from ${JSON.stringify(new URL("../../src/ledger/instance-lock.ts", import.meta.url).pathname)};
    try { InstanceLock.take(${JSON.stringify(ledger)}, ${JSON.stringify(instance)}).release(); console.log("taken"); }
    catch (error) { console.log(error.code ?? String(error)); }
  `;
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script],
    {
      encoding: "utf8",
    },
  );
  return result.stdout.trim() || result.stderr.trim();
}

describe("one daemon per instance on a SQLite ledger", () => {
  it("refuses a second holder of the same instance, names it, and frees it on release", () => {
    const lock = InstanceLock.take(ledger, "jakarta-1");
    expect(tryInChild("jakarta-1")).toBe("LEDGER_LOCKED");
    // another instance on the same file is another lock
    expect(tryInChild("surabaya-1")).toBe("taken");
    lock.release();
    expect(tryInChild("jakarta-1")).toBe("taken");
  });

  it("says which instance and file, and what to do", () => {
    const lock = InstanceLock.take(ledger, "dr/1");
    try {
      const script = tryInChild("dr/1");
      expect(script).toBe("LEDGER_LOCKED");
      let error: unknown = null;
      try {
        // the same process holds it already: SQLite's lock is per connection, so this is refused too
        InstanceLock.take(ledger, "dr/1");
      } catch (caught) {
        error = caught;
      }
      expect(isLedgerError(error, "LEDGER_LOCKED")).toBe(true);
      expect((error as Error).message).toBe(
        `LEDGER_LOCKED: instance "dr/1" is already running on ${ledger} (its lock ${ledger}.dr_1.lock is held); stop it, or give this daemon another global.instance`,
      );
    } finally {
      lock.release();
    }
  });
});
