/**
 * The HTTP server's connection accounting on real loopback sockets, with small limits so every
 * slot is known: which connection gives up its slot, what the overflow answers, when a new
 * connection is refused, and that the headers timeout is enforced.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ExpositionFormat } from "../../src/expose/exposition.js";
import { HTTP_LIMITS, type HttpLimits } from "../../src/expose/http-limits.js";
import {
  type HttpServerContext,
  type HttpServerHandle,
  startHttpServer,
} from "../../src/expose/server.js";
import { exchange, openSlowClients } from "../support/http-clients.js";
import { memoryLogger } from "../support/memory-log.js";
import { until } from "../support/until.js";

const HOST = "127.0.0.1";
let server: HttpServerHandle | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = null;
});

/** A gate that held requests wait on, counting how many wait. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const state = { waiting: 0, open: () => open() };
  const wait = async (): Promise<void> => {
    state.waiting++;
    await opened;
  };
  return { state, wait };
}

/** `holdMetrics`: /metrics waits at the gate too, before its one line. */
async function serve(limits: Partial<HttpLimits>, holdMetrics = false) {
  const held = gate();
  const log = memoryLogger("warn");
  const context: HttpServerContext = {
    renderMetrics: (_format: ExpositionFormat) => ({
      contentType: "text/plain; version=0.0.4; charset=utf-8",
      chunks: (async function* () {
        if (holdMetrics) await held.wait();
        yield "up 1\n";
      })(),
    }),
    version: "9.9.9",
    readiness: () => ({ ready: true }),
    reload: async () => ({ status: 200, body: {} }),
    api: {
      hold: async () => {
        await held.wait();
        return { status: 200, body: { held: true } };
      },
    },
    bearerToken: () => null,
    logger: log.logger,
  };
  server = await startHttpServer({ host: HOST, port: 0 }, context, {
    ...HTTP_LIMITS,
    keepAliveTimeoutMs: 60_000,
    ...limits,
  });
  return { port: server.address.port, held: held.state, log };
}

/** A keep-alive connection driven by hand: one request at a time, the status line of each answer. */
interface Conn {
  socket: Socket;
  closed: boolean;
  send(path: string): Promise<string>;
}

async function open(port: number): Promise<Conn> {
  const socket = connect(port, HOST);
  sockets.push(socket);
  socket.on("error", () => undefined);
  socket.setEncoding("utf8");
  const conn: Conn = {
    socket,
    closed: false,
    send: (path) =>
      new Promise((resolve) => {
        socket.once("data", (chunk: string) => resolve(chunk.split("\r\n")[0] ?? ""));
        socket.write(`GET ${path} HTTP/1.1\r\nHost: pantau\r\n\r\n`);
      }),
  };
  socket.once("close", () => {
    conn.closed = true;
  });
  await new Promise((resolve) => socket.once("connect", resolve));
  return conn;
}

const OK = "HTTP/1.1 200 OK";

describe("when every slot is taken", () => {
  it("closes the oldest idle keep-alive connection first and never one that is answering", async () => {
    const { port, held } = await serve({ maxConnections: 4, overflowConnections: 2 });
    const idleA = await open(port);
    expect(await idleA.send("/-/healthy")).toBe(OK);
    const idleB = await open(port);
    expect(await idleB.send("/-/healthy")).toBe(OK);
    const [busyC, busyD] = [await open(port), await open(port)];
    const answersC = busyC.send("/api/v1/hold");
    const answersD = busyD.send("/api/v1/hold");
    await until(() => held.waiting === 2, { what: "two held requests" });

    const e = await open(port);
    expect(await e.send("/-/healthy")).toBe(OK);
    await until(() => idleA.closed, { what: "the oldest idle connection to close" });
    expect([idleB.closed, busyC.closed, busyD.closed]).toEqual([false, false, false]);

    const f = await open(port);
    expect(await f.send("/-/healthy")).toBe(OK);
    await until(() => idleB.closed, { what: "the next idle connection to close" });
    expect([e.closed, busyC.closed, busyD.closed]).toEqual([false, false, false]);

    held.open();
    expect([await answersC, await answersD]).toEqual([OK, OK]);
  });

  it("gives the slot of a connection still sending its head after slowHeadMs, with a 503", async () => {
    const { port } = await serve({ maxConnections: 2, overflowConnections: 2, slowHeadMs: 0 });
    const [first, second] = await openSlowClients(HOST, port, 2);
    const scrape = await exchange(HOST, port, "/metrics");
    expect(scrape.status).toBe(200);
    await until(() => first?.closed, { what: "the longest-waiting slow connection to close" });
    const body =
      '{"error":"server busy: every connection is in use and this one had not sent its request; retry"}\n';
    expect(first?.received).toBe(
      [
        "HTTP/1.1 503 Service Unavailable",
        "Content-Type: application/json; charset=utf-8",
        `Content-Length: ${body.length}`,
        "Retry-After: 1",
        "Connection: close",
        "",
        body,
      ].join("\r\n"),
    );
    expect(second?.closed).toBe(false);
    for (const client of [first, second]) client?.socket.destroy();
  });
});

describe("when every slot is busy answering", () => {
  it("answers 503 Retry-After in the overflow and serves the monitoring paths there", async () => {
    const { port, held, log } = await serve({ maxConnections: 2, overflowConnections: 1 });
    const busy = [await open(port), await open(port)];
    const holding = busy.map((conn) => conn.send("/api/v1/hold"));
    await until(() => held.waiting === 2, { what: "two held requests" });

    const api = await exchange(HOST, port, "/api/v1/targets");
    expect([api.status, api.headers["retry-after"], api.headers.connection]).toEqual([
      503,
      "1",
      "close",
    ]);
    expect(JSON.parse(api.body)).toEqual({
      error: "server busy: every connection is in use; retry",
    });
    for (const path of ["/metrics", "/-/healthy", "/-/ready"]) {
      const answer = await exchange(HOST, port, path);
      expect([path, answer.status, answer.headers.connection]).toEqual([path, 200, "close"]);
    }

    const overflowBusy = await open(port);
    const overflowHeld = overflowBusy.send("/api/v1/hold");
    // an overflow connection's request is not worked on: answered at once
    expect(await overflowHeld).toBe("HTTP/1.1 503 Service Unavailable");
    const third = await open(port);
    const thirdHeld = third.send("/metrics");
    expect(await thirdHeld).toBe(OK);
    expect(held.waiting).toBe(2);
    held.open();
    expect(await Promise.all(holding)).toEqual([OK, OK]);
    expect(log.lines.filter((line) => line.event === "http_connections_full")).toHaveLength(1);
  });

  it("makes room in a full overflow from a connection still sending its head, however young", async () => {
    const { port, held } = await serve({ maxConnections: 1, overflowConnections: 1 });
    const busy = await open(port);
    const holding = busy.send("/api/v1/hold");
    await until(() => held.waiting === 1, { what: "one held request" });
    const [young] = await openSlowClients(HOST, port, 1);
    const scrape = await exchange(HOST, port, "/metrics");
    expect([scrape.status, scrape.body]).toEqual([200, "up 1\n"]);
    await until(() => young?.closed, { what: "the young slow connection to close" });
    expect(young?.received).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    held.open();
    expect(await holding).toBe(OK);
  });

  it("refuses a new connection only when every connection, overflow too, is being answered", async () => {
    const { port, held } = await serve({ maxConnections: 1, overflowConnections: 1 }, true);
    const busy = await open(port);
    const holding = busy.send("/api/v1/hold");
    await until(() => held.waiting === 1, { what: "one held request" });
    const scraping = await open(port);
    const scrape = scraping.send("/metrics");
    await until(() => held.waiting === 2, { what: "a held scrape in the overflow" });
    const refused = await exchange(HOST, port, "/-/healthy");
    expect([refused.status, refused.error]).toEqual([null, "ECONNRESET"]);
    held.open();
    expect(await Promise.all([holding, scrape])).toEqual([OK, OK]);
    const after = await exchange(HOST, port, "/-/healthy");
    expect(after.status).toBe(200);
  });
});

describe("the headers timeout", () => {
  it("answers 408 and closes a connection whose head does not arrive in time", async () => {
    const { port } = await serve({ headersTimeoutMs: 300, timeoutCheckMs: 50 });
    const [client] = await openSlowClients(HOST, port, 1);
    await until(() => client?.closed, {
      what: "the slow connection to be closed",
      timeoutMs: 5000,
    });
    expect(client?.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });
});
