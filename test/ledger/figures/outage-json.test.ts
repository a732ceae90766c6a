import { describe, expect, it } from "vitest";
import type { OutageFacts } from "../../../src/ledger/figures/outage-facts.js";
import { outageJson } from "../../../src/ledger/figures/outage-json.js";
import { formatTime } from "../../../src/text/time.js";

describe("outageJson", () => {
  it("gives snake_case keys and RFC 3339 ms times", () => {
    const outage: OutageFacts = {
      id: 7,
      instance: "jakarta-1",
      targetId: "simkim-core",
      service: "immigration-core",
      site: "pdns2",
      start: 1_718_845_200_000,
      end: null,
      detectedAt: 1_718_845_260_123,
      reason: "timeout",
      detail: "no answer in 10s",
      blockedBy: "simkim-core",
      blockedUntil: 1_718_848_800_000,
      maintenance: false,
      endReason: null,
      lastOkAt: 1_718_845_170_500,
      lastFailedAt: null,
      pageSettledAt: 1_718_845_260_123,
      durationSeconds: 3600.5,
      blindSeconds: 12.25,
    };
    expect(outageJson(outage)).toEqual({
      instance: "jakarta-1",
      target: "simkim-core",
      service: "immigration-core",
      site: "pdns2",
      start: "2024-06-20T01:00:00.000Z",
      end: null,
      detected_at: "2024-06-20T01:01:00.123Z",
      duration_seconds: 3600.5,
      blind_seconds: 12.25,
      reason: "timeout",
      detail: "no answer in 10s",
      blocked_by: "simkim-core",
      blocked_until: "2024-06-20T02:00:00.000Z",
      maintenance: false,
      end_reason: null,
      last_ok_at: "2024-06-20T00:59:30.500Z",
      last_failed_at: null,
    });
    expect(formatTime(outage.start)).toBe("2024-06-20T01:00:00.000Z");
  });
});
