/**
 * The listen guard (test/support/listen-guard.mjs, a setup file of both vitest configs): no test
 * binds a fixed port or all interfaces, in the test process or in any Node process it starts.
 */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { ipv6LoopbackAvailable, unusedPort } from "../support/servers/loopback.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-listen-guard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOT_LOOPBACK = (host: string) => `host ${host} is not loopback: use 127.0.0.1 or ::1`;
const FIXED = (port: number) =>
  `port ${port} is fixed: listen on port 0, or on one unusedPort() handed out`;

async function listening(listen: (server: Server) => void): Promise<number> {
  const server = createServer();
  listen(server);
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

describe("the listen guard, in the test process", () => {
  it.each<[string, (server: Server) => unknown, string]>([
    ["a fixed port", (s) => s.listen(9469, "127.0.0.1"), `127.0.0.1:9469: ${FIXED(9469)}`],
    ["0.0.0.0", (s) => s.listen(0, "0.0.0.0"), `0.0.0.0:0: ${NOT_LOOPBACK("0.0.0.0")}`],
    ["::", (s) => s.listen(0, "::"), `[::]:0: ${NOT_LOOPBACK("::")}`],
    ["no host", (s) => s.listen(0), `*:0: ${NOT_LOOPBACK("(all interfaces)")}`],
    ["no arguments", (s) => s.listen(), `*:0: ${NOT_LOOPBACK("(all interfaces)")}`],
    [
      "a fixed port in an options object",
      (s) => s.listen({ port: 9093, host: "localhost" }),
      `localhost:9093: ${FIXED(9093)}`,
    ],
    [
      "all interfaces in an options object",
      (s) => s.listen({ port: 0 }),
      `*:0: ${NOT_LOOPBACK("(all interfaces)")}`,
    ],
  ])("refuses %s, naming the address", (_name, listen, problem) => {
    const server = createServer();
    expect(() => listen(server)).toThrow(new Error(`listen-guard: a test listens on ${problem}`));
    expect(server.listening).toBe(false);
  });

  it("lets a port the OS picks on loopback through, and one unusedPort() handed out", async () => {
    expect(await listening((s) => s.listen(0, "127.0.0.1"))).toBeGreaterThan(0);
    expect(await listening((s) => s.listen({ port: 0, host: "localhost" }))).toBeGreaterThan(0);
    if (await ipv6LoopbackAvailable()) {
      expect(await listening((s) => s.listen(0, "::1"))).toBeGreaterThan(0);
    }
    const port = await unusedPort();
    expect(await listening((s) => s.listen(port, "127.0.0.1"))).toBe(port);
  });
});

describe("the listen guard, in the processes a test starts", () => {
  it("stops a Node child that binds a fixed port", () => {
    const child = spawnSync(
      process.execPath,
      ["-e", "require('node:net').createServer().listen(9469, '127.0.0.1')"],
      { encoding: "utf8", timeout: 15_000 },
    );
    expect(child.status).toBe(1);
    expect(child.stderr).toContain(
      `listen-guard: a test listens on 127.0.0.1:9469: ${FIXED(9469)}`,
    );
  });

  it("stops a daemon left on the default listen address (0.0.0.0:9469), which says why", async () => {
    const config = join(dir, "default-listen.yaml");
    writeFileSync(
      config,
      `storage: { path: ${join(dir, "ledger.db")} }\ntargets: [{ id: a, tcp: { host: 127.0.0.1, port: 1 } }]\n`,
    );
    const result = await runCli(["run", "--config", config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `listen-guard: a test listens on 0.0.0.0:9469: ${NOT_LOOPBACK("0.0.0.0")}`,
    );
  });
});
