import { randomBytes } from "node:crypto";
import { get, type IncomingHttpHeaders, request } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { HttpServerContext, HttpServerHandle } from "../../src/expose/server.js";
import { startOneTargetServer } from "../support/one-target-server.js";
import { until } from "../support/until.js";

let server: HttpServerHandle | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function serve(overrides: Partial<HttpServerContext> = {}): Promise<string> {
  server = await startOneTargetServer(overrides);
  return `http://127.0.0.1:${server.address.port}`;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function fetchRaw(url: string, headers: Record<string, string>, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
      );
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

const OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const CLASSIC = "text/plain; version=0.0.4; charset=utf-8";
/** As Prometheus 2.42 (Debian's) asks. */
const PROMETHEUS_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

describe("GET /metrics negotiates format and encoding", () => {
  it.each([
    ["curl (no preference)", {}, CLASSIC, undefined],
    ["Prometheus", { accept: PROMETHEUS_ACCEPT, "accept-encoding": "gzip" }, OPENMETRICS, "gzip"],
    [
      "the classic format, gzipped",
      { accept: "text/plain", "accept-encoding": "gzip" },
      CLASSIC,
      "gzip",
    ],
    [
      "OpenMetrics, uncompressed",
      { accept: "application/openmetrics-text" },
      OPENMETRICS,
      undefined,
    ],
  ])("%s", async (_name, headers, contentType, encoding) => {
    const url = await serve();
    const answer = await fetchRaw(`${url}/metrics`, headers);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe(contentType);
    expect(answer.headers["content-encoding"]).toBe(encoding);
    expect(answer.headers.vary).toBe("Accept, Accept-Encoding");
    const text = (encoding === "gzip" ? gunzipSync(answer.body) : answer.body).toString("utf8");
    expect(text).toContain(
      'probe_success{target="core",service="immigration-core",site="pdns2"} 1\n',
    );
    if (contentType === OPENMETRICS) {
      expect(text.endsWith("\n# EOF\n")).toBe(true);
      expect(text).toContain("# TYPE pantau_probes counter\n");
    } else {
      expect(text).not.toContain("# EOF");
      expect(text).toContain("# TYPE pantau_probes_total counter\n");
    }
  });

  it("answers HEAD with the same headers and no body", async () => {
    const url = await serve();
    const headers = { accept: PROMETHEUS_ACCEPT, "accept-encoding": "gzip" };
    const answer = await fetchRaw(`${url}/metrics`, headers, "HEAD");
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe(OPENMETRICS);
    expect(answer.headers["content-encoding"]).toBe("gzip");
    expect(answer.body.length).toBe(0);
  });
});

/** Incompressible text: gzip has to pass it on rather than hold it. */
const NOISE = () => `${randomBytes(48 * 1024).toString("base64")}\n`;

describe("GET /metrics gzipped is a stream", () => {
  it("sends compressed bytes before the render has finished (no whole-body buffering)", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    const url = await serve({
      renderMetrics: () => ({
        contentType: CLASSIC,
        chunks: (async function* () {
          for (let i = 0; i < 20; i++) yield NOISE();
          await held; // the rest of the render waits until the client has seen bytes
          yield "the end\n";
          finished = true;
        })(),
      }),
    });
    const parts: Buffer[] = [];
    let bytesBeforeEnd = 0;
    await new Promise<void>((resolve, reject) => {
      get(`${url}/metrics`, { headers: { "accept-encoding": "gzip" } }, (res) => {
        res.on("data", (part: Buffer) => {
          parts.push(part);
          if (!finished) bytesBeforeEnd += part.length;
          release();
        });
        res.on("end", resolve);
        res.on("error", reject);
      }).on("error", reject);
    });
    expect(bytesBeforeEnd).toBeGreaterThan(0);
    expect(gunzipSync(Buffer.concat(parts)).toString("utf8").endsWith("the end\n")).toBe(true);
  });

  it("stops rendering when the client goes away mid-response, and serves the next one", async () => {
    let produced = 0;
    let stopped = false;
    const url = await serve({
      renderMetrics: (format) => ({
        contentType: CLASSIC,
        chunks:
          format === "prometheus"
            ? (async function* () {
                try {
                  for (; produced < 2048; produced++) yield NOISE(); // 128 MiB if nothing stopped it
                } finally {
                  stopped = true;
                }
              })()
            : (async function* () {})(),
      }),
    });
    await new Promise<void>((resolve, reject) => {
      const req = get(`${url}/metrics`, { headers: { "accept-encoding": "gzip" } }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => undefined);
      setTimeout(() => reject(new Error("no data within 5 s")), 5_000).unref();
    });
    await until(() => stopped, { what: "the render to stop", timeoutMs: 5_000, intervalMs: 10 });
    expect(produced).toBeLessThan(2048);
    const next = await fetchRaw(`${url}/metrics`, { accept: "application/openmetrics-text" });
    expect(next.status).toBe(200);
  });
});

describe("GET /", () => {
  it("answers a browser with an HTML index: links to /metrics and the API, and the version", async () => {
    const url = await serve();
    const answer = await fetchRaw(`${url}/`, { accept: "text/html,*/*;q=0.8" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("text/html; charset=utf-8");
    const html = answer.body.toString("utf8");
    expect(html).toContain("version 9.9.9");
    for (const link of ["metrics", "api/v1/targets", "api/v1/outages?open=true", "-/ready"]) {
      expect(html).toContain(`<a href="${link}">/${link}</a>`);
    }
  });

  it("answers curl with the same index in plain text", async () => {
    const url = await serve();
    const answer = await fetchRaw(`${url}/`, { accept: "*/*" });
    expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
    const text = answer.body.toString("utf8");
    expect(text.split("\n").slice(0, 4)).toEqual([
      "pantau 9.9.9",
      "",
      "/metrics                    Prometheus metrics (OpenMetrics when asked for, gzip when accepted)",
      "/api/v1/targets             every target: state, since when, last probe",
    ]);
  });

  it("needs the bearer token like every path but /-/healthy and /-/ready (as Prometheus' own /)", async () => {
    const url = await serve({ bearerToken: () => "s3cret" });
    expect((await fetchRaw(`${url}/`, {})).status).toBe(401);
    const answer = await fetchRaw(`${url}/`, { authorization: "Bearer s3cret" });
    expect(answer.status).toBe(200);
    expect((await fetchRaw(`${url}/-/healthy`, {})).status).toBe(200);
  });

  it("is the index only at / itself: another unknown path is still 404", async () => {
    const url = await serve();
    expect((await fetchRaw(`${url}/index.html`, {})).status).toBe(404);
  });
});
