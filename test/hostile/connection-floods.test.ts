/**
 * Connection floods against the real HTTP server with its shipped limits (HTTP_LIMITS), on
 * loopback: slowloris clients and a burst of complete pushes must not keep Prometheus, the
 * health check or the readiness check out, and a push past the limit is told to retry, never reset.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HTTP_LIMITS } from "../../src/expose/http-limits.js";
import { type PushRejection, pushRoute } from "../../src/expose/push-route.js";
import type { HttpServerContext, HttpServerHandle } from "../../src/expose/server.js";
import { systemClock } from "../../src/time/clock.js";
import {
  closeAll,
  type Exchange,
  exchange,
  openSlowClients,
  type SlowClient,
  trickle,
} from "../support/http-clients.js";
import { memoryLogger } from "../support/memory-log.js";
import { startOneTargetServer } from "../support/one-target-server.js";
import { makePushTarget } from "../support/targets.js";
import { until } from "../support/until.js";

const HOST = "127.0.0.1";
const TOKEN = "push-token-of-the-flood-0123456789";
let server: HttpServerHandle | null = null;
let slow: SlowClient[] = [];

afterEach(async () => {
  closeAll(slow);
  slow = [];
  await server?.close();
  server = null;
});

async function serve(overrides: Partial<HttpServerContext> = {}): Promise<number> {
  server = await startOneTargetServer({ logger: memoryLogger("error").logger, ...overrides });
  return server.address.port;
}

const statuses = (answers: Exchange[]): string[] =>
  answers.map((a) => (a.status === null ? `error ${a.error}` : String(a.status)));

describe("slowloris: 600 connections that never finish their request head", () => {
  it("leave every parallel /metrics scrape, /-/healthy and /-/ready answered", async () => {
    const port = await serve();
    slow = await openSlowClients(HOST, port, 600);
    trickle(slow);
    const scrapes = Array.from({ length: 70 }, () => exchange(HOST, port, "/metrics"));
    const checks = ["/-/healthy", "/-/ready"].map((path) => exchange(HOST, port, path));
    const answers = await Promise.all([...scrapes, ...checks]);
    expect(statuses(answers)).toEqual(Array(72).fill("200"));
    for (const scrape of answers.slice(0, 70)) {
      expect(scrape.body).toContain(
        'probe_success{target="core",service="immigration-core",site="pdns2"} 1',
      );
    }
    // room was made by closing slow clients, each told why: none was simply reset
    const cut = slow.filter((client) => client.closed || client.received !== "");
    for (const client of cut) {
      expect(client.received).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
      expect(client.received).toContain("\r\nRetry-After: 1\r\n");
    }
  });
});

describe("a burst of complete pushes past the connection limit", () => {
  it("answers those past it 503 with Retry-After (never a reset) while scrapes are served", async () => {
    let pending = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const rejected: [PushRejection, string | null][] = [];
    const push = pushRoute({
      clock: systemClock,
      target: (id) => makePushTarget(id, { token: TOKEN }),
      received: async () => {
        pending++;
        await gate;
        return { kind: "received", recorded: true, at: 0, deadline: 90_000 };
      },
      rejected: (reason, id) => rejected.push([reason, id]),
    });
    const port = await serve({ push });
    const pushOf = (i: number) =>
      exchange(HOST, port, `/api/v1/push/t-${i}`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Bearer ${TOKEN}`,
        },
        body: "status=ok",
      });
    const held = Array.from({ length: HTTP_LIMITS.maxConnections }, (_, i) => pushOf(i));
    await until(() => pending === HTTP_LIMITS.maxConnections, {
      what: `${HTTP_LIMITS.maxConnections} pushes in the route`,
    });
    const past = await Promise.all(Array.from({ length: 100 }, (_, i) => pushOf(1000 + i)));
    const scrapes = await Promise.all(
      Array.from({ length: 5 }, () => exchange(HOST, port, "/metrics")),
    );
    release();
    const answered = await Promise.all(held);
    expect(statuses(answered)).toEqual(Array(HTTP_LIMITS.maxConnections).fill("200"));
    expect(statuses(past)).toEqual(Array(100).fill("503"));
    for (const answer of past) {
      expect(answer.headers["retry-after"]).toBe("1");
      expect(answer.headers.connection).toBe("close");
      expect(JSON.parse(answer.body)).toEqual({
        error: "server busy: every connection is in use; retry",
      });
    }
    expect(statuses(scrapes)).toEqual(Array(5).fill("200"));
    expect(pending).toBe(HTTP_LIMITS.maxConnections);
    // each refused push is counted (pantau_push_rejections_total) with the target it was for
    expect(rejected.map(([reason]) => reason)).toEqual(Array(100).fill("server_busy"));
    const ids = rejected.map(([, id]) => id).sort();
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => `t-${1000 + i}`).sort());
  });
});
