import { describe, expect, it } from "vitest";
import { alertsEndpoint } from "../../src/alert/alertmanager-channel.js";

describe("the Alertmanager alerts endpoint", () => {
  it.each([
    ["http://127.0.0.1:9093", "http://127.0.0.1:9093/api/v2/alerts", null],
    ["http://am.example/prefix/", "http://am.example/prefix/api/v2/alerts", null],
    [
      "https://pantau:s%40cret@am.example/",
      "https://am.example/api/v2/alerts",
      `Basic ${Buffer.from("pantau:s@cret").toString("base64")}`,
    ],
  ])("%s → %s", (url, endpoint, authorization) => {
    expect(alertsEndpoint(url)).toEqual({ endpoint, authorization });
  });
});
