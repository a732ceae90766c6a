import { describe, expect, it } from "vitest";
import type { DegradedRules, Expectations } from "../../src/config/types.js";
import {
  type Evaluation,
  evaluateConnection,
  evaluateResponse,
  type SeenResponse,
} from "../../src/probe/evaluate.js";
import { DEFAULT_EXPECT, NO_DEGRADED_RULES } from "../support/targets.js";

const NOW = Date.parse("2026-11-23T00:00:00Z");
const DAY = 86_400_000;

function seen(
  overrides: Partial<Omit<SeenResponse, "body">> & { body?: string } = {},
): SeenResponse {
  const { body = "", ...rest } = overrides;
  return {
    status: 200,
    body: new TextEncoder().encode(body),
    truncated: false,
    durationMs: 120,
    certExpiresAt: null,
    now: NOW,
    ...rest,
  };
}

interface Case {
  name: string;
  seen: SeenResponse;
  expect?: Partial<Expectations>;
  degraded?: Partial<DegradedRules>;
  want: Evaluation;
}

const ok = (detail = "status 200"): Evaluation => ({ result: "ok", reason: null, detail });

const cases: Case[] = [
  { name: "2xx is ok", seen: seen(), want: ok() },
  { name: "204 is ok by default", seen: seen({ status: 204 }), want: ok("status 204") },
  {
    name: "503 is not in 200-299",
    seen: seen({ status: 503 }),
    want: { result: "failed", reason: "status", detail: "status 503 not in 200-299" },
  },
  {
    name: "several ranges are listed",
    seen: seen({ status: 404 }),
    expect: {
      status: [
        { min: 200, max: 299 },
        { min: 304, max: 304 },
      ],
    },
    want: { result: "failed", reason: "status", detail: "status 404 not in 200-299, 304" },
  },
  {
    name: "no status listed means 2xx, as blackbox_exporter",
    seen: seen({ status: 301 }),
    expect: { status: [] },
    want: { result: "failed", reason: "status", detail: "status 301 not in 200-299" },
  },
  {
    name: "body_contains holds",
    seen: seen({ body: "all ok" }),
    expect: { bodyContains: "ok" },
    want: ok(),
  },
  {
    name: "body_contains misses",
    seen: seen({ body: "down" }),
    expect: { bodyContains: "ok" },
    want: { result: "failed", reason: "body", detail: 'body does not contain "ok"' },
  },
  {
    name: "a miss on a truncated body says how much was read",
    seen: seen({ body: "xxxx", truncated: true }),
    expect: { bodyContains: "ok" },
    want: {
      result: "failed",
      reason: "body",
      detail: 'body does not contain "ok" (first 4 bytes read)',
    },
  },
  // the match itself runs in a worker (test/probe/regex-match.test.ts): here, its outcome
  {
    name: "body_regex matches",
    seen: seen({ body: "v1.2.3", bodyRegex: "matched" }),
    expect: { bodyRegex: "v\\d+\\.\\d+" },
    want: ok(),
  },
  {
    name: "body_regex misses",
    seen: seen({ body: "vX", bodyRegex: "unmatched" }),
    expect: { bodyRegex: "v\\d+" },
    want: { result: "failed", reason: "body", detail: "body does not match /v\\d+/" },
  },
  {
    name: "body_regex not decided within the budget",
    seen: seen({ body: "aaaa!", bodyRegex: "over budget", truncated: true }),
    expect: { bodyRegex: "^(\\w+\\s?)*$" },
    want: {
      result: "failed",
      reason: "body",
      detail: "body_regex /^(\\w+\\s?)*$/ was not decided within the timeout (first 5 bytes read)",
    },
  },
  {
    name: "body_regex a prober did not match fails rather than passes",
    seen: seen({ body: "v1" }),
    expect: { bodyRegex: "v\\d+" },
    want: { result: "failed", reason: "body", detail: "body_regex /v\\d+/ was not matched" },
  },
  {
    name: "json path equals",
    seen: seen({ body: '{"status":"ok"}' }),
    expect: { json: { path: "status", equals: "ok" } },
    want: ok(),
  },
  {
    name: "json path with an array index",
    seen: seen({ body: '{"checks":[{"state":"up"},{"state":"down"}]}' }),
    expect: { json: { path: "checks.1.state", equals: "up" } },
    want: {
      result: "failed",
      reason: "json",
      detail: 'json path "checks.1.state" is "down", expected "up"',
    },
  },
  {
    name: "json path differs",
    seen: seen({ body: '{"status":"down"}' }),
    expect: { json: { path: "status", equals: "ok" } },
    want: {
      result: "failed",
      reason: "json",
      detail: 'json path "status" is "down", expected "ok"',
    },
  },
  {
    name: "json path missing",
    seen: seen({ body: '{"state":"ok"}' }),
    expect: { json: { path: "status", equals: "ok" } },
    want: {
      result: "failed",
      reason: "json",
      detail: 'json path "status" is missing, expected "ok"',
    },
  },
  {
    name: "json compares types strictly",
    seen: seen({ body: '{"code":"200"}' }),
    expect: { json: { path: "code", equals: 200 } },
    want: { result: "failed", reason: "json", detail: 'json path "code" is "200", expected 200' },
  },
  {
    name: "body is not JSON",
    seen: seen({ body: "<html>" }),
    expect: { json: { path: "status", equals: "ok" } },
    want: { result: "failed", reason: "json", detail: "body is not JSON" },
  },
  {
    name: "latency over the limit degrades",
    seen: seen({ durationMs: 2310 }),
    degraded: { latencyOver: 2000 },
    want: { result: "degraded", reason: "latency", detail: "latency 2.31s over 2s" },
  },
  {
    name: "latency at the limit is ok",
    seen: seen({ durationMs: 2000 }),
    degraded: { latencyOver: 2000 },
    want: ok(),
  },
  {
    name: "degraded body_contains",
    seen: seen({ body: "fallback: manual" }),
    degraded: { bodyContains: "manual" },
    want: { result: "degraded", reason: "body", detail: 'body contains "manual"' },
  },
  {
    name: "degraded JSON mode",
    seen: seen({ body: '{"status":"ok","mode":"manual"}' }),
    expect: { json: { path: "status", equals: "ok" } },
    degraded: { json: { path: "mode", equals: "manual" } },
    want: { result: "degraded", reason: "json", detail: 'json path "mode" is "manual"' },
  },
  {
    name: "degraded JSON rule on a body that is not JSON does not hold",
    seen: seen({ body: "plain" }),
    degraded: { json: { path: "mode", equals: "manual" } },
    want: ok(),
  },
  {
    name: "certificate expiring within the window",
    seen: seen({ certExpiresAt: NOW + 9 * DAY + 3_600_000 }),
    degraded: { certExpiresWithin: 14 * DAY },
    want: {
      result: "degraded",
      reason: "cert_expiring",
      detail: "certificate expires in 9d (notAfter 2026-12-02T01:00:00Z)",
    },
  },
  {
    name: "certificate outside the window",
    seen: seen({ certExpiresAt: NOW + 30 * DAY }),
    degraded: { certExpiresWithin: 14 * DAY },
    want: ok(),
  },
  {
    name: "every degraded rule that holds is in the detail; the first names the reason",
    seen: seen({ durationMs: 3000, body: '{"mode":"manual"}' }),
    degraded: { latencyOver: 2000, json: { path: "mode", equals: "manual" } },
    want: {
      result: "degraded",
      reason: "latency",
      detail: 'latency 3s over 2s; json path "mode" is "manual"',
    },
  },
  {
    name: "a failure wins over degraded rules",
    seen: seen({ status: 500, durationMs: 5000 }),
    degraded: { latencyOver: 2000 },
    want: { result: "failed", reason: "status", detail: "status 500 not in 200-299" },
  },
];

describe("evaluateResponse", () => {
  it.each(cases)("$name", (c) => {
    const evaluation = evaluateResponse(
      c.seen,
      { ...DEFAULT_EXPECT, ...c.expect },
      { ...NO_DEGRADED_RULES, ...c.degraded },
    );
    expect(evaluation).toEqual(c.want);
  });
});

describe("evaluateConnection", () => {
  const connection = { durationMs: 40, certExpiresAt: null, now: NOW };

  it.each([
    { name: "connected is ok", seen: connection, rules: {}, want: ok("connected") },
    {
      name: "slow connect degrades",
      seen: { ...connection, durationMs: 600 },
      rules: { latencyOver: 500 },
      want: {
        result: "degraded",
        reason: "latency",
        detail: "latency 600ms over 500ms",
      } as Evaluation,
    },
    {
      name: "an expired certificate that was accepted still degrades",
      seen: { ...connection, certExpiresAt: NOW - 2 * DAY },
      rules: { certExpiresWithin: 14 * DAY },
      want: {
        result: "degraded",
        reason: "cert_expiring",
        detail: "certificate expired 2d ago (notAfter 2026-11-21T00:00:00Z)",
      } as Evaluation,
    },
  ])("$name", ({ seen: observed, rules, want }) => {
    expect(evaluateConnection(observed, { ...NO_DEGRADED_RULES, ...rules })).toEqual(want);
  });
});
