import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

/** Durations that set a timer are bounded by a timer's limit; others (a certificate's) are not. */
describe("durations past a timer's limit", () => {
  const refused = (yaml: string) => {
    const parsed = parseConfig(yaml, "pantau.yaml", {});
    return parsed.ok ? [] : parsed.issues.map(formatConfigIssue);
  };
  const LIMIT = "must be at most 24d (a timer's limit: 2147483647 ms)";

  it.each([
    [
      "global.interval",
      "global: { interval: 1y }\ntargets: []",
      `pantau.yaml:1:21: global.interval: ${LIMIT}`,
    ],
    [
      "a target's interval",
      "targets: [{ id: a, interval: 25d, http: { url: 'http://127.0.0.1:1/' } }]",
      `pantau.yaml:1:30: targets[0].interval: ${LIMIT}`,
    ],
    [
      "storage.heartbeat",
      "storage: { heartbeat: 1y }\ntargets: []",
      `pantau.yaml:1:23: storage.heartbeat: ${LIMIT}`,
    ],
    [
      "alertmanager.resend",
      "alertmanager: { url: 'http://127.0.0.1:9093', resend: 30d }\ntargets: []",
      `pantau.yaml:1:55: alertmanager.resend: ${LIMIT}`,
    ],
  ])("%s", (_, yaml, expected) => {
    expect(refused(yaml)).toEqual([expected]);
  });

  it("24 days is accepted, and a certificate may be watched 60 days ahead", () => {
    expect(
      refused(
        "targets: [{ id: a, interval: 24d, timeout: 10s, http: { url: 'https://127.0.0.1:1/' }, degraded: { cert_expires_within: 60d } }]",
      ),
    ).toEqual([]);
  });
});
