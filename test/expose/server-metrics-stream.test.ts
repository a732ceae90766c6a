import { get, type IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { type HttpServerHandle, startHttpServer } from "../../src/expose/server.js";
import { memoryLogger } from "../support/memory-log.js";
import { until } from "../support/until.js";

const CHUNK = `${"x".repeat(64 * 1024 - 1)}\n`;

let server: HttpServerHandle | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** A server whose /metrics is `chunks`; the rest of the context is never used here. */
async function serve(chunks: () => AsyncIterable<string>): Promise<string> {
  server = await startHttpServer(
    { host: "127.0.0.1", port: 0 },
    {
      renderMetrics: () => ({ contentType: "text/plain; version=0.0.4", chunks: chunks() }),
      version: "test",
      readiness: () => ({ ready: true }),
      reload: async () => ({ status: 200, body: {} }),
      api: {},
      bearerToken: () => null,
      logger: memoryLogger().logger,
    },
  );
  return `http://127.0.0.1:${server.address.port}/metrics`;
}

function fetchText(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers["content-type"] ?? "",
          body: Buffer.concat(parts).toString("utf8"),
        }),
      );
      res.on("error", reject);
    }).on("error", reject);
  });
}

describe("GET /metrics streams the render", () => {
  it("sends every chunk in order, past the socket's buffer (backpressure)", async () => {
    const count = 200; // 12.5 MiB: far beyond what a socket buffers without draining
    const url = await serve(async function* () {
      for (let i = 0; i < count; i++) yield `${i} ${CHUNK}`;
    });
    const answer = await fetchText(url);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe("text/plain; version=0.0.4");
    const lines = answer.body.split("\n").filter(Boolean);
    expect(lines).toHaveLength(count);
    expect(lines.map((line) => Number(line.split(" ")[0]))).toEqual([...Array(count).keys()]);
  });

  it("stops rendering when the client goes away mid-response, and serves the next one", async () => {
    let produced = 0;
    let stopped = false;
    const url = await serve(async function* () {
      try {
        // bounded: 64 MiB if nothing stopped it
        for (; produced < 1024; produced++) yield CHUNK;
      } finally {
        stopped = true;
      }
    });
    await new Promise<void>((resolve, reject) => {
      const request = get(url, (res) => {
        res.once("data", () => {
          request.destroy();
          resolve();
        });
      });
      request.on("error", () => undefined);
      setTimeout(() => reject(new Error("no data within 5 s")), 5_000).unref();
    });
    await until(() => stopped, { what: "the render to stop", timeoutMs: 5_000, intervalMs: 10 });
    expect(produced).toBeLessThan(1024);
    const next = await fetchText(url);
    expect(next.status).toBe(200);
  });
});
