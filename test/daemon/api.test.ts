import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonOnFakeTime, startOnFakeTime } from "../support/daemon-on-fake-time.js";
import { memoryLogger } from "../support/memory-log.js";
import { parsePromText, sampleValue } from "../support/prom-text.js";
import { SECRET_CANARY } from "../support/secret-canary.js";
import { type SwitchServer, startSwitchServer } from "../support/servers/switch.js";

// the suite's one secret canary: secret-watch.ts fails this file if any output shows it
const HEADER_SECRET = SECRET_CANARY;
const URL_SECRET = SECRET_CANARY;
const TOKEN = SECRET_CANARY;

const dir = mkdtempSync(join(tmpdir(), "pantau-api-"));
let server: SwitchServer;
let fake: DaemonOnFakeTime;
let base: string;
const log = memoryLogger("debug");

async function get(
  path: string,
  token: string | null = TOKEN,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${base}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, text: await response.text() };
}

async function getJson<T>(path: string): Promise<T> {
  const { status, text } = await get(path);
  expect(status, text).toBe(200);
  return JSON.parse(text) as T;
}

interface TargetRow {
  id: string;
  state: string;
}

async function waitForState(id: string, state: string): Promise<void> {
  await fake.until(
    async () => {
      const { targets } = await getJson<{ targets: TargetRow[] }>("/api/v1/targets");
      return targets.find((t) => t.id === id)?.state === state;
    },
    { what: `${id} to be ${state}` },
  );
}

beforeAll(async () => {
  server = await startSwitchServer();
  const credentialed = server.url.replace("http://", `http://ops:${URL_SECRET}@`);
  const config = join(dir, "pantau.yaml");
  writeFileSync(
    config,
    [
      "global: { interval: 200ms, timeout: 150ms, failure_threshold: 2, success_threshold: 2, instance: api-test }",
      "server:",
      "  listen: 127.0.0.1:0",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a ${VAR} for the config loader
      "  bearer_token: ${PANTAU_TEST_TOKEN}",
      `storage: { path: ${join(dir, "ledger.db")}, heartbeat: 100ms }`,
      "targets:",
      "  - id: portal-imigrasi",
      "    service: immigration-portal",
      "    site: jakarta",
      "    http:",
      `      url: "${credentialed}?key=${URL_SECRET}"`,
      `      headers: { X-Api-Key: ${HEADER_SECRET} }`,
      "",
    ].join("\n"),
  );
  // on fake time, after the fixed windows the report tests ask for (a report clamps to now)
  fake = await startOnFakeTime(
    { configFile: config, logger: log.logger, env: { PANTAU_TEST_TOKEN: TOKEN } },
    { stepMs: 50, startAt: Date.UTC(2025, 0, 1) },
  );
  const address = fake.daemon.httpAddress!;
  base = `http://${address.host}:${address.port}`;
});

afterAll(async () => {
  await fake?.daemon.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a daemon driven up → down → up", () => {
  it("shows exactly what the ledger committed, in metrics and in the API", async () => {
    await waitForState("portal-imigrasi", "up");
    server.setUp(false);
    await waitForState("portal-imigrasi", "down");
    server.setUp(true);
    await waitForState("portal-imigrasi", "up");

    const samples = parsePromText((await get("/metrics")).text);
    const labels = { target: "portal-imigrasi", service: "immigration-portal", site: "jakarta" };
    expect(sampleValue(samples, "probe_success", labels)).toBe(1);
    expect(sampleValue(samples, "pantau_target_state", { ...labels, state: "up" })).toBe(1);
    for (const state of ["down", "degraded", "unknown"]) {
      expect(sampleValue(samples, "pantau_target_state", { ...labels, state })).toBe(0);
    }
    const transitions = (from: string, to: string) =>
      sampleValue(samples, "pantau_state_transitions_total", { ...labels, from, to });
    expect(transitions("unknown", "up")).toBe(1);
    expect(transitions("up", "down")).toBe(1);
    expect(transitions("down", "up")).toBe(1);
    const outageLabels = { service: "immigration-portal", site: "jakarta" };
    expect(sampleValue(samples, "pantau_outage_duration_seconds_count", outageLabels)).toBe(1);

    const probes = log.lines.filter((l) => l.event === "probe");
    const firstFailed = probes.findIndex((l) => l.result === "failed");
    const firstGoodAfter = probes.findIndex((l, i) => i > firstFailed && l.result === "ok");
    const { outages } = await getJson<{ outages: Record<string, unknown>[] }>("/api/v1/outages");
    expect(outages).toHaveLength(1);
    const start = probes[firstFailed]?.started_at as string;
    const end = probes[firstGoodAfter]?.started_at as string;
    expect(outages[0]).toMatchObject({
      instance: "api-test",
      target: "portal-imigrasi",
      service: "immigration-portal",
      site: "jakarta",
      start,
      end,
      duration_seconds: (Date.parse(end) - Date.parse(start)) / 1000,
      reason: "status",
      detail: "status 503 not in 200-299",
      blocked_by: null,
      maintenance: false,
      end_reason: "recovered",
    });
    expect(sampleValue(samples, "pantau_outage_duration_seconds_sum", outageLabels)).toBeCloseTo(
      (Date.parse(end) - Date.parse(start)) / 1000,
      6,
    );
  });
});

describe("the API's parameters", () => {
  const cases: [string, string][] = [
    [
      "/api/v1/outages?since=yesterday",
      'since: "yesterday" is not an RFC 3339 time or a relative duration like -24h',
    ],
    [
      "/api/v1/outages?until=2024-06-20T10:00:00",
      'until: "2024-06-20T10:00:00" has no UTC offset: add Z or one like +07:00',
    ],
    [
      "/api/v1/outages?since=2024-02-30T00:00:00Z",
      'since: "2024-02-30T00:00:00Z" is not a real date and time',
    ],
    [
      "/api/v1/outages?since=2024-06-21T00:00:00Z&until=2024-06-20T00:00:00Z",
      "since: 2024-06-21T00:00:00.000Z is not before until (2024-06-20T00:00:00.000Z)",
    ],
    ["/api/v1/outages?open=maybe", 'open: "maybe" is not true or false'],
    ["/api/v1/transitions?limit=0", 'limit: "0" is not a whole number from 1 to 10000'],
    ["/api/v1/transitions?limit=ten", 'limit: "ten" is not a whole number from 1 to 10000'],
    ["/api/v1/transitions?limit=10001", 'limit: "10001" is not a whole number from 1 to 10000'],
    [
      "/api/v1/transitions?target=Portal",
      'target: "Portal" is not a target id ([a-z0-9][a-z0-9._-]*)',
    ],
    [`/api/v1/report?service=${"x".repeat(129)}`, "service: must be 1 to 128 characters long"],
    ["/api/v1/report?site=", "site: must be 1 to 128 characters long"],
    [
      "/api/v1/targets?since=-1h",
      "since: unknown parameter (expected one of target, service, site)",
    ],
    [
      "/api/v1/report?limit=5",
      "limit: unknown parameter (expected one of target, service, site, quorum, since, until)",
    ],
    ["/api/v1/outages?target=a&target=b", "target: is given more than once"],
  ];
  it.each(cases)("%s → 400 naming the parameter", async (path, error) => {
    const { status, text } = await get(path);
    expect(status).toBe(400);
    expect(JSON.parse(text)).toEqual({ error });
  });

  it("answers 404 for an unknown API path and 405 for a wrong method", async () => {
    expect((await get("/api/v1/nothing")).status).toBe(404);
    const response = await fetch(`${base}/-/reload`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST, PUT");
  });

  it("names every report figure in snake_case, the target id `target`", async () => {
    const body = await getJson<{ targets: Record<string, unknown>[]; total: object }>(
      "/api/v1/report",
    );
    const figures = [
      "availability",
      "up_seconds",
      "degraded_seconds",
      "down_seconds",
      "unknown_seconds",
      "blind_seconds",
      "maintenance_seconds",
      "observed_seconds",
      "outage_count",
      "started_outage_count",
      "ended_outage_count",
      "ended_outage_seconds",
      "total_outage_seconds",
      "longest_outage_seconds",
      "mttr_seconds",
      "mtbf_seconds",
    ];
    expect(Object.keys(body.targets[0] ?? {})).toEqual([
      "instance",
      "target",
      "service",
      "site",
      ...figures,
    ]);
    expect(Object.keys(body.total)).toEqual(["target_count", ...figures]);
  });

  it("accepts relative and RFC 3339 times with offsets", async () => {
    const body = await getJson<{ window: { since: string; until: string } }>(
      "/api/v1/report?since=2024-06-20T07:00:00%2B07:00&until=2024-06-21T00:00:00Z",
    );
    expect(body.window).toEqual({
      since: "2024-06-20T00:00:00.000Z",
      until: "2024-06-21T00:00:00.000Z",
    });
  });
});

describe("the bearer token", () => {
  const guarded = [
    "/metrics",
    "/api/v1/targets",
    "/api/v1/outages",
    "/api/v1/transitions",
    "/api/v1/report",
  ];
  it.each(guarded)("%s answers 401 without it, 401 with a wrong one, 200 with it", async (path) => {
    expect((await get(path, null)).status).toBe(401);
    expect((await get(path, "wrong-token")).status).toBe(401);
    expect((await get(path, TOKEN)).status).toBe(200);
  });

  it("is not needed for /-/healthy and /-/ready", async () => {
    expect(await get("/-/healthy", null)).toEqual({ status: 200, text: "pantau is healthy.\n" });
    expect(await get("/-/ready", null)).toEqual({ status: 200, text: "pantau is ready.\n" });
  });
});

describe("secrets from the config", () => {
  it("appear in no API answer, metric or log line", async () => {
    const bodies = await Promise.all(
      [
        "/metrics",
        "/api/v1/targets",
        "/api/v1/outages",
        "/api/v1/transitions",
        "/api/v1/report",
      ].map(async (path) => (await get(path)).text),
    );
    const everything = [...bodies, log.text()].join("\n");
    expect(everything).toContain("portal-imigrasi");
    for (const secret of [HEADER_SECRET, URL_SECRET, TOKEN])
      expect(everything).not.toContain(secret);
    const info = parsePromText(bodies[0] as string).find((s) => s.name === "pantau_target_info");
    expect(info?.labels.endpoint).toBe(server.url);
  });
});
