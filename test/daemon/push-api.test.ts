/**
 * POST /api/v1/push/<id> of a daemon on fake time, over real HTTP on loopback: what a push gets,
 * and every refusal with its exact status, error and headers — unknown id, a target of another
 * kind, a missing or wrong token (the admin one too), bad parameters, a body too large, the rate
 * limit. A refused push changes nothing, is counted by reason, and its token is never shown.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PUSH_REJECTIONS } from "../../src/expose/push-route.js";
import { type DaemonOnFakeTime, startOnFakeTime } from "../support/daemon-on-fake-time.js";
import { memoryLogger } from "../support/memory-log.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";
import { SECRET_CANARY } from "../support/secret-canary.js";
import { type SwitchServer, startSwitchServer } from "../support/servers/switch.js";

// the push token is the suite's secret canary: secret-watch.ts fails this file if it is shown
const TOKEN = SECRET_CANARY;
const OTHER_TOKEN = "token-of-the-nightly-job-0123";
const ADMIN_TOKEN = "the-admin-bearer-token-0123";
const T0 = Date.UTC(2025, 0, 1);

const dir = mkdtempSync(join(tmpdir(), "pantau-push-api-"));
const log = memoryLogger("debug");
let server: SwitchServer;
let fake: DaemonOnFakeTime;
let base: string;

beforeAll(async () => {
  server = await startSwitchServer();
  const config = join(dir, "pantau.yaml");
  writeFileSync(
    config,
    [
      "global: { failure_threshold: 1, success_threshold: 1, instance: push-api }",
      `server: { listen: 127.0.0.1:0, bearer_token: ${ADMIN_TOKEN} }`,
      `storage: { path: ${join(dir, "ledger.db")}, heartbeat: 100ms }`,
      "targets:",
      "  - id: autogate-dps",
      "    service: autogate",
      "    site: denpasar",
      `    push: { token: ${TOKEN}, expect_every: 1m, grace: 30s }`,
      "  - id: nightly-job",
      "    service: core-sync",
      "    site: jakarta",
      `    push: { token: ${OTHER_TOKEN}, expect_every: 1d }`,
      "  - id: portal",
      "    service: immigration-portal",
      "    site: jakarta",
      `    http: { url: "${server.url}" }`,
      "",
    ].join("\n"),
  );
  fake = await startOnFakeTime(
    { configFile: config, logger: log.logger },
    { stepMs: 100, startAt: T0 },
  );
  const address = fake.daemon.httpAddress!;
  base = `http://${address.host}:${address.port}`;
});

afterAll(async () => {
  await fake?.daemon.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

// each target's bucket is full again: 10 pushes at most at once, then 1 a second
beforeEach(async () => {
  await fake.time.advance(10_000);
});

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

async function send(
  path: string,
  init: { method?: string; token?: string | null; type?: string; body?: string | Uint8Array } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (init.type) headers["content-type"] = init.type;
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? "POST",
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), headers: response.headers };
}

const push = (query = "", init: Parameters<typeof send>[1] = {}) =>
  send(`/api/v1/push/autogate-dps${query}`, init);

async function rejections(): Promise<Record<string, number>> {
  const response = await fetch(`${base}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const samples = parsePromText(await response.text());
  return Object.fromEntries(
    PUSH_REJECTIONS.map((reason) => [
      reason,
      sampleValue(samples, "pantau_push_rejections_total", { reason }) ?? 0,
    ]),
  );
}

async function lastPushAt(id: string): Promise<string | null> {
  const response = await fetch(`${base}/api/v1/targets`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const { targets } = (await response.json()) as {
    targets: { id: string; push: { last_push_at: string | null } | null }[];
  };
  return targets.find((t) => t.id === id)?.push?.last_push_at ?? null;
}

describe("a push", () => {
  it("with its own token, no admin token, is answered with when it counted and the next deadline", async () => {
    const at = fake.time.now();
    const answer = await push("?status=ok&message=gate%2003%20ok");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      target: "autogate-dps",
      status: "ok",
      received_at: new Date(at).toISOString(),
      deadline: new Date(at + 90_000).toISOString(),
    });
    expect(await lastPushAt("autogate-dps")).toBe(new Date(at).toISOString());
  });

  it("takes status and message from a form or a JSON body too", async () => {
    const form = await push("", {
      type: "application/x-www-form-urlencoded",
      body: "status=fail&message=camera+offline",
    });
    expect(form).toMatchObject({ status: 200, body: { status: "fail" } });
    const json = await push("", {
      type: "application/json; charset=utf-8",
      body: JSON.stringify({ status: "ok", message: "camera back" }),
    });
    expect(json).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("takes a message of exactly 1024 characters", async () => {
    const answer = await push(`?message=${"m".repeat(1024)}`);
    expect(answer.status).toBe(200);
  });
});

/** [name, request, status, error] — each refused, each changing nothing. */
const REFUSED: [string, () => Promise<Answer>, number, string][] = [
  ["an unknown id", () => send("/api/v1/push/no-such-gate"), 404, 'no push target "no-such-gate"'],
  [
    "an id that is not an id",
    () => send("/api/v1/push/autogate-dps/extra"),
    404,
    "not found: /api/v1/push/autogate-dps/extra",
  ],
  [
    "a target of another kind (as if unknown)",
    () => send("/api/v1/push/portal", { token: ADMIN_TOKEN }),
    404,
    'no push target "portal"',
  ],
  [
    "no token",
    () => push("", { token: null }),
    401,
    'unauthorized: missing or wrong push token for "autogate-dps"',
  ],
  [
    "another target's token",
    () => push("", { token: OTHER_TOKEN }),
    401,
    'unauthorized: missing or wrong push token for "autogate-dps"',
  ],
  [
    "the admin bearer token",
    () => push("", { token: ADMIN_TOKEN }),
    401,
    'unauthorized: missing or wrong push token for "autogate-dps"',
  ],
  [
    "the token with a character more",
    () => push("", { token: `${TOKEN}x` }),
    401,
    'unauthorized: missing or wrong push token for "autogate-dps"',
  ],
  ["GET", () => push("", { method: "GET" }), 405, "method not allowed; use POST"],
  ["a bad status", () => push("?status=maybe"), 400, 'status: must be ok or fail, not "maybe"'],
  ["an empty status", () => push("?status="), 400, 'status: must be ok or fail, not ""'],
  [
    "a message of 1025 characters",
    () => push(`?message=${"m".repeat(1025)}`),
    400,
    "message: at most 1024 characters, not 1025",
  ],
  [
    "an unknown parameter (its value not shown)",
    () => push(`?token=${TOKEN}`),
    400,
    'unknown parameter "token" (expected one of status, message)',
  ],
  [
    "a parameter twice",
    () => push("?status=ok", { type: "application/x-www-form-urlencoded", body: "status=fail" }),
    400,
    "status: is given more than once",
  ],
  [
    "a body of another type",
    () => push("", { type: "text/plain", body: "status=fail" }),
    415,
    'a body with content type "text/plain": send application/x-www-form-urlencoded or application/json',
  ],
  [
    "a body with no type",
    // bytes: fetch gives a string body a text/plain type
    () => push("", { body: new TextEncoder().encode("status=fail") }),
    415,
    "a body with no content type: send application/x-www-form-urlencoded or application/json",
  ],
  [
    "a body that is not JSON",
    () => push("", { type: "application/json", body: "{status: fail}" }),
    400,
    "body: not valid JSON",
  ],
  [
    "a JSON body that is not an object",
    () => push("", { type: "application/json", body: '["fail"]' }),
    400,
    'body: expected a JSON object like {"status": "fail", "message": "…"}',
  ],
  [
    "a JSON status that is not a string",
    () => push("", { type: "application/json", body: '{"status": false}' }),
    400,
    "status: expected a string",
  ],
  [
    "a body larger than 8 KiB",
    () => push("", { type: "application/json", body: `{"message": "${"m".repeat(8200)}"}` }),
    413,
    "body too large: at most 8192 bytes",
  ],
];

const REASON_OF: Record<number, string> = {
  404: "unknown_target",
  401: "unauthorized",
  405: "method",
  400: "bad_request",
  415: "bad_request",
  413: "too_large",
};

describe("a push refused", () => {
  it.each(REFUSED)("for %s: the exact status and error", async (_name, request, status, error) => {
    const before = await rejections();
    const lastBefore = await lastPushAt("autogate-dps");
    await fake.time.advance(1_000);
    const answer = await request();
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ error });
    // refused: nothing counted, and counted by its reason
    expect(await lastPushAt("autogate-dps")).toBe(lastBefore);
    const reason = REASON_OF[status]!;
    expect(await rejections()).toEqual({ ...before, [reason]: before[reason]! + 1 });
    expect(log.lines.at(-1)).toMatchObject({ event: "push_rejected", reason });
  });

  it("without a token is told how to authenticate", async () => {
    const answer = await push("", { token: null });
    expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="pantau push"');
  });

  it("with GET is told the method", async () => {
    const answer = await push("", { method: "GET" });
    expect(answer.headers.get("allow")).toBe("POST");
  });
});

describe("the rate limit", () => {
  it("takes 10 pushes at once, then answers 429 with Retry-After, per target", async () => {
    for (let i = 0; i < 10; i++) expect((await push()).status).toBe(200);
    const before = await rejections();
    const refused = await push();
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: 'too many pushes for "autogate-dps": at most 10 at once, then 1 a second',
    });
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await rejections()).toEqual({ ...before, rate_limited: before.rate_limited! + 1 });
    // another target's bucket is its own
    expect((await send("/api/v1/push/nightly-job", { token: OTHER_TOKEN })).status).toBe(200);
    // a second later there is one push again, and one only
    await fake.time.advance(999);
    expect((await push()).status).toBe(429);
    await fake.time.advance(1);
    expect((await push()).status).toBe(200);
    expect((await push()).status).toBe(429);
  });

  it("is not spent by pushes with a wrong token", async () => {
    for (let i = 0; i < 20; i++) expect((await push("", { token: OTHER_TOKEN })).status).toBe(401);
    expect((await push()).status).toBe(200);
  });
});
