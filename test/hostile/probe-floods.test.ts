/**
 * Hostile servers that never stop talking, each against the real HTTP prober on loopback: the
 * probe ends with the verdict docs/probes.md gives, well inside its timeout where a limit applies, reads a
 * bounded number of bytes, and frees its socket.
 */
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeHttp } from "../../src/probe/http.js";
import type { ProbeResult } from "../../src/probe/types.js";
import { systemClock } from "../../src/time/clock.js";
import { afterRequest, startRawServer, type TestServer } from "../support/servers/loopback.js";
import { httpTarget } from "../support/targets.js";

/** Writes `first`, then `next()` for ever as fast as the client takes it; counts the bytes. */
function flood(first: string, next: () => string, written: { bytes: number }) {
  return afterRequest((socket: Socket) => {
    socket.on("error", () => undefined);
    written.bytes += Buffer.byteLength(first);
    socket.write(first);
    const pump = (): void => {
      while (!socket.destroyed && socket.writable) {
        const text = next();
        written.bytes += Buffer.byteLength(text);
        if (!socket.write(text)) return;
      }
    };
    socket.on("drain", pump);
    pump();
  });
}

interface FloodCase {
  name: string;
  first: string;
  next: () => string;
  want: Partial<ProbeResult>;
  /** The probe must end this early (ms): a limit, not the timeout, stops it. */
  within: number;
}

const TIMEOUT = 2000;
const line = `x-flood: ${"a".repeat(1000)}\r\n`;
const cases: FloodCase[] = [
  {
    name: "header lines for ever",
    first: "HTTP/1.1 200 OK\r\n",
    next: () => line,
    want: { result: "failed", reason: "protocol", status: null },
    within: TIMEOUT / 2,
  },
  {
    name: "one header line that never ends",
    first: "HTTP/1.1 200 OK\r\nx-flood: ",
    next: () => "a".repeat(4096),
    want: { result: "failed", reason: "protocol", status: null },
    within: TIMEOUT / 2,
  },
  {
    name: "1xx responses for ever",
    first: "",
    next: () => "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n".repeat(100),
    want: {
      result: "failed",
      reason: "protocol",
      detail: "too many 1xx informational responses (more than 5)",
      status: null,
    },
    within: TIMEOUT / 2,
  },
  {
    name: "a chunk size that never ends",
    first: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
    next: () => "f".repeat(4096),
    want: { result: "failed", reason: "protocol", status: 200 },
    within: TIMEOUT / 2,
  },
  {
    name: "one-byte chunks for ever",
    first: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
    next: () => "1\r\na\r\n".repeat(1000),
    want: { result: "ok", status: 200, bytesRead: 1024 },
    within: TIMEOUT / 2,
  },
];

const servers = new Map<string, { server: TestServer; written: { bytes: number } }>();

beforeAll(async () => {
  for (const c of cases) {
    const written = { bytes: 0 };
    servers.set(c.name, { server: await startRawServer(flood(c.first, c.next, written)), written });
  }
});

afterAll(async () => {
  for (const { server } of servers.values()) await server.close();
});

describe("a server that never stops talking", () => {
  it.each(cases)("$name", async ({ name, want, within }) => {
    const { server, written } = servers.get(name) ?? {};
    if (!server || !written) throw new Error(name);
    const started = performance.now();
    const result = await probeHttp(
      httpTarget(`http://${server.host}:${server.port}/`, {
        timeout: TIMEOUT,
        probe: { maxBody: 1024 },
      }),
      { clock: systemClock },
    );
    const ended = performance.now();
    expect(result).toMatchObject(want);
    expect(ended - started).toBeLessThan(within);
    const closedAt = await server.connections[0]?.closed;
    expect((closedAt ?? Number.POSITIVE_INFINITY) - ended).toBeLessThan(100);
  });
});

describe("informational responses before the final one", () => {
  const early = "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n";
  const final = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
  it.each([
    [5, { result: "ok", status: 200 }],
    [6, { result: "failed", reason: "protocol", status: null }],
  ])("%i of them, then 200 → %o (Go's client allows 5)", async (count, want) => {
    const server = await startRawServer(
      afterRequest((socket) => socket.end(early.repeat(count) + final)),
    );
    try {
      const result = await probeHttp(httpTarget(`http://${server.host}:${server.port}/`), {
        clock: systemClock,
      });
      expect(result).toMatchObject(want);
    } finally {
      await server.close();
    }
  });
});
