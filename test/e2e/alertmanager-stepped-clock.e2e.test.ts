import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertmanagerChannel } from "../../src/alert/alertmanager-channel.js";
import { firingAlert } from "../../src/alert/alertmanager-payload.js";
import type { AlertNotice } from "../../src/alert/channel.js";
import type { OutageAlert } from "../../src/alert/outage-alert.js";
import { noticeOf, sendingClock } from "../../src/alert/sending-clock.js";
import { systemClock } from "../../src/time/clock.js";
import {
  alertmanagerTestConfig,
  type RunningAlertmanager,
  startAlertmanager,
  startWebhook,
  type Webhook,
} from "../support/external/alertmanager.js";

/**
 * What Debian's real Alertmanager does with an outage whose ledger times were recorded on a base
 * 2 h ahead of the clock now (the wall clock was stepped back 2 h since): sent as recorded, the
 * firing alert is refused (`endsAt` before `startsAt`) and the resolve keeps it firing; read on the
 * sending clock, the first is taken and the second resolves it.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const dir = mkdtempSync(join(tmpdir(), "pantau-am-stepped-"));
const signal = new AbortController().signal;
const SETTINGS = { url: "http://127.0.0.1:1", resend: MIN, labels: {} };
const iso = (ms: number) => new Date(ms).toISOString();

let webhook: Webhook;
let alertmanager: RunningAlertmanager;
let channel: AlertmanagerChannel;

interface ApiAlert {
  labels: Record<string, string>;
  startsAt: string;
  status: { state: string };
}

beforeAll(async () => {
  webhook = await startWebhook();
  alertmanager = await startAlertmanager({ configText: alertmanagerTestConfig(webhook.url), dir });
  channel = new AlertmanagerChannel({
    settings: { url: alertmanager.url, resend: MIN, labels: {} },
  });
});

afterAll(async () => {
  await channel?.close();
  await alertmanager?.stop();
  await webhook?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An outage that began a minute ago, recorded on a wall base 2 h ahead of the clock now. */
function steppedBackOutage(targetId: string) {
  const clock = sendingClock(systemClock);
  const outage: OutageAlert = {
    targetId,
    targetName: targetId,
    service: "immigration",
    site: "pdns2",
    instance: "jakarta-1",
    start: clock.now + 2 * HOUR - MIN,
    wallOffset: clock.offset + 2 * HOUR,
    reason: "refused",
    detail: null,
    blockedBy: null,
  };
  return { clock, outage };
}

async function listed(targetId: string): Promise<ApiAlert | undefined> {
  const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as ApiAlert[];
  return alerts.find((alert) => alert.labels.target === targetId);
}

describe("Alertmanager and an outage recorded before a 2 h backward step", () => {
  it("refuses the firing alert as recorded, and takes it on the sending clock", async () => {
    const { clock, outage } = steppedBackOutage("core-fire");
    const lease = clock.now + 4 * MIN;
    // the times as recorded, as pantau sent them before: start 2 h after the lease's end
    const asRecorded = { ...firingAlert(outage, SETTINGS, lease), startsAt: iso(outage.start) };
    const refused = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([asRecorded]),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("start time must be before end time");
    expect(await listed("core-fire")).toBeUndefined();
    const onSendingClock = noticeOf({ kind: "fire", outage, leaseMs: 4 * MIN }, clock);
    expect(await channel.deliver([onSendingClock], signal)).toEqual({ kind: "delivered" });
    const alert = await listed("core-fire");
    expect(alert?.status.state).toBe("active");
    expect(Date.parse(alert?.startsAt ?? "")).toBe(clock.now - MIN);
  });

  it("keeps firing on a resolve as recorded, and resolves on the sending clock", async () => {
    const { clock, outage } = steppedBackOutage("core-resolve");
    const fire = noticeOf({ kind: "fire", outage, leaseMs: 4 * MIN }, clock);
    expect(await channel.deliver([fire], signal)).toEqual({ kind: "delivered" });
    // it recovered 6 s after its start, on the recorded base
    const end = {
      at: outage.start + 6000,
      reason: "recovered" as const,
      wallOffset: outage.wallOffset,
    };
    const asRecorded: AlertNotice = { status: "resolved", outage, end };
    expect(await channel.deliver([asRecorded], signal)).toEqual({ kind: "delivered" });
    // its endsAt is 2 h in Alertmanager's future: still listed as firing
    expect(await listed("core-resolve")).toBeDefined();
    const resolve = noticeOf({ kind: "resolve", outage, end }, sendingClock(systemClock));
    expect(await channel.deliver([resolve], signal)).toEqual({ kind: "delivered" });
    expect(await listed("core-resolve")).toBeUndefined();
  });
});
