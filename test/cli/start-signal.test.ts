import { execFileSync } from "node:child_process";
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DaemonProcess } from "../support/daemon-process.js";
import { startFakePostgres } from "../support/servers/fake-postgres.js";
import type { TestServer } from "../support/servers/loopback.js";
import { until } from "../support/until.js";

/**
 * A SIGTERM that arrives while `pantau run` is still starting (the real CLI, dist/): once the
 * start is done the daemon stops cleanly (exit 0); a start that never finishes is ended
 * --stop-timeout after the signal, with exit 1 and a start_overrun line.
 */
const dir = mkdtempSync(join(tmpdir(), "pantau-start-signal-"));
const STOP_TIMEOUT_MS = 2000;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * PostgreSQL as a session stuck behind a lock (or a proxy before a frozen server) shows itself:
 * the connection is accepted and authenticated, and no query is ever answered. pg's
 * connectionTimeoutMillis covers only the connection; the start's first query ends only at its
 * own deadline (35 s), far beyond the stop's bound here.
 */
async function silentPostgres(): Promise<TestServer & { queried: () => boolean }> {
  const server = await startFakePostgres(["silent"]);
  return Object.assign(server, { queried: () => server.received.some((got) => got.length > 0) });
}

const target = "targets: [{ id: portal, tcp: { host: 127.0.0.1, port: 1 } }]";
const run = (config: string) => [
  "run",
  "-c",
  config,
  "--listen",
  "none",
  "--stop-timeout",
  `${STOP_TIMEOUT_MS}ms`,
];

describe("a stop signal during the start", { timeout: 60_000 }, () => {
  it("ends a start that hangs on its ledger within --stop-timeout: exit 1, start_overrun", async () => {
    const postgres = await silentPostgres();
    const config = join(dir, "hung.yaml");
    const url = `postgres://pantau:secret@127.0.0.1:${postgres.port}/pantau`;
    writeFileSync(config, `storage: { url: "${url}" }\n${target}\n`);
    const daemon = new DaemonProcess(run(config));
    try {
      // in the start, past the connection: its first query is the one never answered
      await until(() => postgres.queried(), { what: "the start's first query", timeoutMs: 30_000 });
      const signalled = performance.now();
      daemon.signal("SIGTERM");
      expect(await daemon.exited()).toEqual({ code: 1, signal: null });
      const tookMs = performance.now() - signalled;
      expect(daemon.lines.find((line) => line.event === "signal")).toMatchObject({
        signal: "SIGTERM",
        starting: true,
      });
      expect(daemon.lines.at(-1)).toMatchObject({
        level: 60,
        event: "start_overrun",
        signal: "SIGTERM",
        bound_ms: STOP_TIMEOUT_MS,
        msg: `the start did not finish within ${STOP_TIMEOUT_MS} ms of SIGTERM: exiting`,
      });
      expect(daemon.lines.some((line) => line.event === "start")).toBe(false);
      // the child's timer starts when it takes the signal, after it was sent: never sooner
      expect(tookMs).toBeGreaterThanOrEqual(STOP_TIMEOUT_MS - 5);
      expect(tookMs).toBeLessThan(STOP_TIMEOUT_MS + 10_000);
    } finally {
      daemon.signal("SIGKILL");
      await daemon.exited();
      await postgres.close();
    }
  });

  it("stops cleanly (exit 0) once a start that finishes in time is done", async () => {
    // the config is a FIFO: the start waits on it until the test has seen the signal taken
    const config = join(dir, "slow.yaml");
    execFileSync("mkfifo", [config]);
    const ledger = join(dir, "pantau.db");
    const daemon = new DaemonProcess(run(config));
    let fifo: number | null = null;
    let gone = false;
    void daemon.exited().then(() => {
      gone = true;
    });
    try {
      // non-blocking: refused (ENXIO) until the daemon has opened the FIFO to read it
      fifo = await until(() => openSync(config, constants.O_WRONLY | constants.O_NONBLOCK), {
        what: "the daemon to open its config",
        timeoutMs: 30_000,
        failed: () => (gone ? `pantau exited: ${daemon.stderr.join("\n")}` : null),
      });
      daemon.signal("SIGTERM");
      await daemon.waitFor((line) => line.event === "signal" && line.starting === true);
      writeSync(fifo, `storage: { path: "${ledger}" }\n${target}\n`);
      closeSync(fifo);
      fifo = null;
      expect(await daemon.exited()).toEqual({ code: 0, signal: null });
      const events = daemon.lines.map((line) => line.event);
      expect(events).toEqual(["signal", "start", "signal", "stop"]);
      expect(daemon.lines.at(-1)).toMatchObject({ event: "stop", msg: "pantau stopped cleanly" });
    } finally {
      if (fifo !== null) closeSync(fifo);
      daemon.signal("SIGKILL");
      await daemon.exited();
    }
  });
});
