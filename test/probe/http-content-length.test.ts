/**
 * A body is read as far as its Content-Length, as Go's client reads it: the probe settles at
 * its last byte (whether undici would have completed the message or not) and frees the
 * connection; bytes past it are not the body.
 */
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeHttp } from "../../src/probe/http.js";
import { systemClock } from "../../src/time/clock.js";
import { afterRequest } from "../support/servers/behaviours.js";
import { startRawServer, type TestServer } from "../support/servers/loopback.js";
import { httpTarget } from "../support/targets.js";

const options = { clock: systemClock };
const servers: Record<string, TestServer> = {};

const HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";

beforeAll(async () => {
  // more bytes than promised, then the server closes
  servers.extra = await startRawServer(
    afterRequest((socket) =>
      socket.end(`${HEAD}Content-Length: 2\r\nConnection: close\r\n\r\nokEXTRA`),
    ),
  );
  // a keep-alive response whose body arrives in two writes; the server never closes
  servers.split = await startRawServer(
    afterRequest((socket: Socket) => {
      socket.write(`${HEAD}Content-Length: 2\r\n\r\no`);
      setTimeout(() => socket.write("k"), 30);
    }),
  );
});

afterAll(async () => {
  for (const server of Object.values(servers)) await server.close();
});

/** Raw servers are TCP servers: their URL as HTTP. */
function urlOf(name: string): string {
  const server = servers[name] as TestServer;
  return `http://${server.host}:${server.port}/`;
}

describe("a body with a Content-Length", () => {
  it("is the promised bytes only: bytes past them are not searched", async () => {
    const ok = await probeHttp(
      httpTarget(urlOf("extra"), { expect: { bodyContains: "ok" } }),
      options,
    );
    expect(ok).toMatchObject({ result: "ok", status: 200, bytesRead: 2 });
    const past = await probeHttp(
      httpTarget(urlOf("extra"), { expect: { bodyContains: "EXTRA" } }),
      options,
    );
    expect(past).toMatchObject({ result: "failed", reason: "body", bytesRead: 2 });
  });

  it("settles at its last byte, split over writes, and frees the connection", async () => {
    const result = await probeHttp(
      httpTarget(urlOf("split"), { expect: { bodyContains: "ok" } }),
      options,
    );
    expect(result).toMatchObject({ result: "ok", status: 200, bytesRead: 2 });
    expect(result.phases.transfer).toBeGreaterThanOrEqual(20);
    const server = servers.split as TestServer;
    const closed = await server.connections.at(-1)?.closed;
    expect(closed).toBeTypeOf("number");
    expect(server.openConnections()).toBe(0);
  });
});
