import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_GRACE_MS } from "../../src/cli/stop-signals.js";
import { DaemonProcess } from "../support/daemon-process.js";
import { type RunningPostgres, startPostgres } from "../support/external/postgres.js";

/**
 * A stop that cannot finish, for real: `pantau run` on Debian's PostgreSQL, and another session
 * holding the daemon's run row (an operator's open transaction, a long migration). The stop's
 * last write waits on that lock; the query's own deadline (statement_timeout, 30 s) is far
 * beyond the stop's bound, so the overrun bound ends it: exit 1 and a stop_overrun line,
 * --stop-timeout + 5 s after SIGTERM.
 */
const STOP_TIMEOUT_MS = 2000;
const dir = mkdtempSync(join(tmpdir(), "pantau-stop-overrun-"));
let server: RunningPostgres;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a stop whose ledger never answers", () => {
  it("is ended at --stop-timeout + 5 s: exit 1, stop_overrun with its bound", async () => {
    const url = await server.createDatabase("overrun");
    const config = join(dir, "pantau.yaml");
    writeFileSync(
      config,
      [
        "global: { instance: jakarta-1, interval: 1h }",
        `storage: { url: "${url}", heartbeat: 1h }`,
        "targets: [{ id: portal, tcp: { host: 127.0.0.1, port: 1 } }]",
        "",
      ].join("\n"),
    );
    const daemon = new DaemonProcess([
      "run",
      "-c",
      config,
      "--listen",
      "none",
      "--stop-timeout",
      `${STOP_TIMEOUT_MS}ms`,
    ]);
    const holder = new pg.Client({ connectionString: url });
    holder.on("error", () => undefined);
    try {
      const start = await daemon.waitFor((line) => line.event === "start", 60_000);
      await holder.connect();
      await holder.query("BEGIN");
      await holder.query("SELECT id FROM runs WHERE id = $1 FOR UPDATE", [start.run]);
      const signalled = performance.now();
      daemon.signal("SIGTERM");
      expect(await daemon.exited()).toEqual({ code: 1, signal: null });
      const tookMs = performance.now() - signalled;
      expect(daemon.lines.at(-1)).toMatchObject({
        level: 60,
        event: "stop_overrun",
        bound_ms: STOP_TIMEOUT_MS,
        stopped: false,
        msg: "stop overran its bound",
      });
      expect(daemon.lines.some((line) => line.event === "stop")).toBe(false);
      // the child's timer starts when it takes the signal, after it was sent: never sooner
      expect(tookMs).toBeGreaterThanOrEqual(STOP_TIMEOUT_MS + EXIT_GRACE_MS - 5);
      expect(tookMs).toBeLessThan(STOP_TIMEOUT_MS + EXIT_GRACE_MS + 10_000);
    } finally {
      daemon.signal("SIGKILL");
      await daemon.exited();
      await holder.query("ROLLBACK").catch(() => undefined);
      await holder.end().catch(() => undefined);
    }
  });
});
