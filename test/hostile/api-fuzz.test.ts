import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Daemon } from "../../src/daemon/daemon.js";
import { memoryLogger } from "../support/memory-log.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-hostile-"));
let daemon: Daemon;
let base: string;

beforeAll(async () => {
  const config = join(dir, "pantau.yaml");
  writeFileSync(
    config,
    [
      "global: { interval: 1s, timeout: 500ms, instance: hostile }",
      "server: { listen: '127.0.0.1:0' }",
      `storage: { path: ${join(dir, "ledger.db")} }`,
      "targets:",
      "  - { id: core, service: svc, site: dc, tcp: { host: 127.0.0.1, port: 1 } }",
      "",
    ].join("\n"),
  );
  daemon = await Daemon.start({ configFile: config, logger: memoryLogger("warn").logger });
  base = `http://${daemon.httpAddress!.host}:${daemon.httpAddress!.port}`;
});

afterAll(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const PATHS = ["targets", "transitions", "outages", "report", "maintenance"];
const NAMES = ["since", "until", "limit", "open", "target", "service", "site", "x", "", "since[]"];
const VALUES = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "-24h",
    "now",
    "2024-06-20T00:00:00Z",
    "-0s",
    "-99999999d",
    "1e309",
    "%00",
    "true",
  ),
  fc.integer().map(String),
);

describe("random API query strings", () => {
  it("get 200 or a 400 naming the parameter: never a 500, never a stack trace", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        fc.array(fc.tuple(fc.constantFrom(...NAMES), VALUES), { maxLength: 4 }),
        async (path, pairs) => {
          const search = new URLSearchParams(pairs).toString();
          const response = await fetch(`${base}/api/v1/${path}?${search}`);
          const text = await response.text();
          expect([200, 400]).toContain(response.status);
          const body = JSON.parse(text) as { error?: string };
          if (response.status === 400) {
            const named = pairs.map(([name]) => name);
            expect(named.some((name) => body.error?.startsWith(`${name}: `))).toBe(true);
          }
          expect(text).not.toMatch(/\bat .+:\d+:\d+|Error:/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("answers raw hostile request lines and headers without crashing", async () => {
    const raw = [
      "GET /api/v1/outages?since=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
      `GET /api/v1/targets HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      "GARBAGE\r\n\r\n",
      "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    const statuses: string[] = [];
    for (const request of raw) {
      statuses.push(await rawExchange(request));
    }
    expect(statuses[0]).toMatch(/^HTTP\/1\.1 (400|200) /);
    expect(statuses[1]).toMatch(/^HTTP\/1\.1 431 /);
    expect(statuses[2]).toMatch(/^HTTP\/1\.1 400 /);
    expect(statuses[3]).toMatch(/^HTTP\/1\.1 404 /);
    expect((await fetch(`${base}/-/healthy`)).status).toBe(200);
  });

  it("keeps answering while hundreds of clients trickle their headers", async () => {
    const { host, port } = daemon.httpAddress!;
    const slow: Socket[] = [];
    for (let i = 0; i < 300; i++) {
      const socket = connect(port, host);
      socket.on("error", () => undefined);
      socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\n");
      slow.push(socket);
    }
    try {
      const response = await fetch(`${base}/-/healthy`);
      expect(response.status).toBe(200);
    } finally {
      for (const socket of slow) socket.destroy();
    }
  });
});

/** Sends bytes as they are and returns the status line of the answer. */
function rawExchange(request: string): Promise<string> {
  const { host, port } = daemon.httpAddress!;
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.end(request));
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("close", () => resolve(answer.split("\r\n")[0] ?? ""));
    socket.on("error", reject);
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer")));
  });
}
