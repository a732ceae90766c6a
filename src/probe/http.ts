/**
 * The HTTP prober kind: blackbox_exporter's `http_2xx` verdicts, with redirects followed by hand
 * so that every hop gets a fresh connection and the whole chain stays inside the one timeout.
 */
import type { IncomingHttpHeaders } from "node:http";
import * as z from "zod";
import {
  type IpFamily,
  ipFamily,
  resolveTls,
  type TlsSettings,
  tlsSettings,
} from "../fields/connection-fields.js";
import { DEFAULTS } from "../fields/defaults.js";
import { parseSize } from "../fields/units.js";
import { httpUrl, size } from "../fields/values.js";
import { evaluateResponse } from "./evaluate.js";
import { ProbeFailure } from "./failure.js";
import { exchange, type HttpRequest } from "./http-exchange.js";
import { HTTP_FAMILIES } from "./http-families.js";
import { noChecks, type ProberKind } from "./kind.js";
import { matchBody } from "./regex-match.js";
import type { ReadLimits, ReadResponse } from "./response-reader.js";
import { type Judge, type ProbeContext, runProbe } from "./run.js";
import type { ProbeOptions, ProbeResult, ProbeTarget } from "./types.js";

export interface HttpProbeSpec {
  kind: "http";
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  followRedirects: boolean;
  maxRedirects: number;
  maxBody: number;
  tls: TlsSettings;
  ipFamily: IpFamily;
}

const block = z.strictObject({
  url: httpUrl().meta({ description: "http:// or https:// URL to request" }),
  method: z
    .enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    .optional()
    .meta({ default: DEFAULTS.method }),
  headers: z.record(z.string(), z.string()).optional().meta({ description: "request headers" }),
  body: z.string().nullable().optional().meta({ description: "request body" }),
  follow_redirects: z.boolean().optional().meta({ default: DEFAULTS.followRedirects }),
  max_redirects: z.int().min(0).max(100).optional().meta({ default: DEFAULTS.maxRedirects }),
  max_body: size()
    .optional()
    .meta({ description: "read at most this much of the body", default: DEFAULTS.maxBody }),
  tls: tlsSettings.optional(),
  ip_family: ipFamily(),
});

const DEFAULT_MAX_BODY = defaultMaxBody();

function defaultMaxBody(): number {
  const bytes = parseSize(DEFAULTS.maxBody);
  if (bytes === null) throw new Error(`bug: default "${DEFAULTS.maxBody}" is not a size`);
  return bytes;
}

function resolve(http: z.output<typeof block>): HttpProbeSpec {
  return {
    kind: "http",
    url: http.url,
    method: http.method ?? DEFAULTS.method,
    headers: http.headers ?? {},
    body: http.body ?? null,
    followRedirects: http.follow_redirects ?? DEFAULTS.followRedirects,
    maxRedirects: http.max_redirects ?? DEFAULTS.maxRedirects,
    maxBody: http.max_body ?? DEFAULT_MAX_BODY,
    tls: resolveTls(http.tls),
    ipFamily: http.ip_family ?? DEFAULTS.ipFamily,
  };
}

/** `https://www.imigrasi.go.id/`: the URL without userinfo, query string or fragment. */
function endpoint(spec: HttpProbeSpec): string {
  try {
    return describeUrl(new URL(spec.url));
  } catch {
    // not a URL (config validates this): cut what could carry secrets by hand
    return spec.url.replace(/\/\/[^/@]*@/, "//").replace(/[?#].*$/, "");
  }
}

function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export const httpKind: ProberKind<HttpProbeSpec, typeof block> = {
  key: "http",
  block,
  resolve,
  check: noChecks,
  readsBody: true,
  probe: probeHttp,
  endpoint,
  families: HTTP_FAMILIES,
};

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// as Go's client: credentials are not sent on to another host
const CREDENTIAL_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

export function probeHttp(
  target: ProbeTarget<HttpProbeSpec>,
  options: ProbeOptions,
): Promise<ProbeResult> {
  return runProbe(target.timeout, options, async (context): Promise<Judge> => {
    const response = await followRedirects(target, context);
    // under the probe's deadline, and in a worker thread: a body never holds the event loop
    const { bodyRegex } = target.expect;
    const regexOutcome =
      bodyRegex === null ? null : await matchBody(bodyRegex, response.body, target.timeout);
    return ({ durationMs, now }) =>
      evaluateResponse(
        {
          status: response.status,
          body: response.body,
          truncated: response.truncated,
          bodyRegex: regexOutcome,
          durationMs,
          now,
          certExpiresAt: context.trace.certExpiresAt,
        },
        target.expect,
        target.degraded,
      );
  });
}

async function followRedirects(
  target: ProbeTarget<HttpProbeSpec>,
  context: ProbeContext,
): Promise<ReadResponse> {
  const spec = target.probe;
  const limits = readLimits(target);
  let request = firstRequest(spec);
  for (;;) {
    const response = await exchange(request, spec, limits, context);
    const location = redirectLocation(spec, response.status, response.headers);
    if (location === null) return response;
    const next = new URL(location, request.url);
    if (context.trace.redirects >= spec.maxRedirects) {
      throw new ProbeFailure(
        "too_many_redirects",
        `stopped after ${context.trace.redirects} redirects (max_redirects ${spec.maxRedirects}), next ${describeUrl(next)}`,
      );
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new ProbeFailure("protocol", `redirect to unsupported scheme ${next.protocol}`);
    }
    context.trace.redirects += 1;
    context.deadline.hop = context.trace.redirects;
    request = nextRequest(request, next, response.status);
  }
}

function readLimits(target: ProbeTarget<HttpProbeSpec>): ReadLimits {
  const { expect, degraded, probe } = target;
  return {
    maxBody: probe.maxBody,
    keepBody:
      expect.bodyContains !== null ||
      expect.bodyRegex !== null ||
      expect.json !== null ||
      degraded.bodyContains !== null ||
      degraded.json !== null,
    stopAtHeaders: (status, headers) => redirectLocation(probe, status, headers) !== null,
  };
}

function redirectLocation(
  spec: HttpProbeSpec,
  status: number,
  headers: IncomingHttpHeaders,
): string | null {
  if (!spec.followRedirects || !REDIRECT_STATUSES.has(status)) return null;
  const location = headers.location;
  // a redirect without Location is a final response, as in Go
  return typeof location === "string" && location !== "" ? location : null;
}

/**
 * The first request is the same for every probe of a spec: built once (URL parsing, headers,
 * Basic auth) and shared, read-only, by its probes; a reload brings new specs.
 */
const firstRequests = new WeakMap<HttpProbeSpec, HttpRequest>();

function firstRequest(spec: HttpProbeSpec): HttpRequest {
  let request = firstRequests.get(spec);
  if (request === undefined) {
    request = buildFirstRequest(spec);
    firstRequests.set(spec, request);
  }
  return request;
}

function buildFirstRequest(spec: HttpProbeSpec): HttpRequest {
  const url = new URL(spec.url);
  const headers: Record<string, string> = { ...spec.headers };
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!names.has("user-agent")) headers["User-Agent"] = "pantau";
  if (url.username !== "" && !names.has("authorization")) {
    // userinfo becomes Basic auth, as Go's client does for blackbox_exporter
    const userinfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.Authorization = `Basic ${Buffer.from(userinfo).toString("base64")}`;
  }
  url.username = "";
  url.password = "";
  url.hash = "";
  return { url, method: spec.method, headers, body: spec.body };
}

/** Go's rules: 301/302/303 turn into a GET without body (HEAD stays HEAD); 307/308 repeat as is. */
function nextRequest(previous: HttpRequest, url: URL, status: number): HttpRequest {
  const rewrite = status <= 303 && previous.method !== "HEAD";
  const headers =
    url.host === previous.url.host ? previous.headers : withoutCredentials(previous.headers);
  url.hash = "";
  return {
    url,
    method: rewrite ? "GET" : previous.method,
    headers,
    body: rewrite ? null : previous.body,
  };
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())),
  );
}
