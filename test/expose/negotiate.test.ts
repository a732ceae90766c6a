import { describe, expect, it } from "vitest";
import { acceptsGzip, negotiateFormat } from "../../src/expose/negotiate.js";

/** What Prometheus sends, by version (scrape.go's acceptHeader; 3.x from its scrape_protocols). */
const PROMETHEUS_2 =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
const PROMETHEUS_3 =
  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

describe("negotiateFormat", () => {
  it.each([
    ["no Accept header", undefined, "prometheus"],
    ["curl's */*", "*/*", "prometheus"],
    ["Prometheus 2.x", PROMETHEUS_2, "openmetrics"],
    ["Prometheus 3.x (protobuf first, which pantau does not speak)", PROMETHEUS_3, "openmetrics"],
    ["Prometheus told to scrape the classic format only", "text/plain;version=0.0.4", "prometheus"],
    ["OpenMetrics without a version", "application/openmetrics-text", "openmetrics"],
    ["OpenMetrics' draft version", "application/openmetrics-text; version=0.0.1", "openmetrics"],
    [
      "an OpenMetrics version pantau does not write",
      "application/openmetrics-text;version=2.0.0",
      "prometheus",
    ],
    ["OpenMetrics refused with q=0", "application/openmetrics-text;q=0, text/plain", "prometheus"],
    [
      "the classic format preferred by quality",
      "application/openmetrics-text;q=0.3,text/plain;q=0.9",
      "prometheus",
    ],
    [
      "OpenMetrics preferred by quality, listed last",
      "text/plain;q=0.2, application/openmetrics-text;q=0.8",
      "openmetrics",
    ],
    ["equal quality: the first listed", "text/plain, application/openmetrics-text", "prometheus"],
    ["case and spaces", " Application/OpenMetrics-Text ; Version=1.0.0 ", "openmetrics"],
    ["only what pantau does not speak", "application/json", "prometheus"],
    ["a browser", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "prometheus"],
  ])("%s → %s", (_name, accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});

describe("acceptsGzip", () => {
  it.each([
    [undefined, false],
    ["", false],
    ["gzip", true],
    ["identity", false],
    ["deflate, gzip, br, zstd", true],
    ["gzip;q=0", false],
    ["gzip; q=0.5", true],
    ["x-gzip", true],
    ["*", true],
    ["*;q=0", false],
    ["gzip;q=0, *", false],
    ["br", false],
  ])("Accept-Encoding %j → %s", (header, accepted) => {
    expect(acceptsGzip(header)).toBe(accepted);
  });
});
