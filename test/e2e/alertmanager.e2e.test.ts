import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertmanagerChannel } from "../../src/alert/alertmanager-channel.js";
import { AlertNotifier } from "../../src/alert/notifier.js";
import type { CommittedTransition } from "../../src/engine/engine.js";
import { systemClock, systemTimers } from "../../src/time/clock.js";
import {
  alertmanagerTestConfig,
  type RunningAlertmanager,
  SHIPPED_ALERTMANAGER_CONFIG as SHIPPED,
  startAlertmanager,
  startWebhook,
  type Webhook,
} from "../support/external/alertmanager.js";
import { until } from "../support/until.js";

/**
 * The shipped config/alertmanager/alertmanager.yml, run by Debian's real Alertmanager with only
 * its receiver URLs and timings replaced: a root outage pages, its blocked dependants do not.
 */

const dir = mkdtempSync(join(tmpdir(), "pantau-alertmanager-"));

interface ApiAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string; inhibitedBy: string[] };
}

let webhook: Webhook;
let alertmanager: RunningAlertmanager;
let notifications: Webhook["notifications"];
let amUrl = "";
const posts: ("ok" | "error")[] = [];
let notifier: AlertNotifier;

beforeAll(async () => {
  webhook = await startWebhook();
  notifications = webhook.notifications;
  alertmanager = await startAlertmanager({ configText: alertmanagerTestConfig(webhook.url), dir });
  amUrl = alertmanager.url;
  notifier = new AlertNotifier({
    channel: new AlertmanagerChannel({
      settings: { url: amUrl, resend: 60_000, labels: { team: "sre-imigrasi" } },
    }),
    resendMs: 60_000,
    instance: "jakarta-1",
    clock: systemClock,
    timers: systemTimers,
    targetName: (id) => id.toUpperCase(),
    onDelivery: (result) => posts.push(result),
  });
});

afterAll(async () => {
  await notifier?.stop();
  await alertmanager?.stop();
  await webhook?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("config/alertmanager/alertmanager.yml with Alertmanager", () => {
  it("is valid for amtool as shipped", () => {
    const out = execFileSync("amtool", ["check-config", SHIPPED], { encoding: "utf8" });
    expect(out).toContain("SUCCESS");
  });

  it("pages once for a root outage and never for the dependants it inhibits", async () => {
    const start = Date.now() - 90_000;
    notifier.firing.recordTransitions([
      down("simkim-core", start, null),
      down("autogate-cgk", start + 1000, "simkim-core"),
      down("autogate-dps", start + 2000, "simkim-core"),
      // blocked by a root that pages no one (in maintenance): `equal` keeps it un-inhibited
      down("autogate-kno", start + 3000, "network-kno"),
    ]);
    await until(() => notifications.length === 1, { what: "the page", timeoutMs: 20_000 });
    const alerts = await until(
      async () => {
        const listed = await apiAlerts();
        const processed = listed.filter((alert) => alert.status.state !== "unprocessed");
        return processed.length === 4 && listed;
      },
      { what: "four processed alerts", timeoutMs: 10_000, intervalMs: 200 },
    );
    const root = alerts.find((alert) => alert.labels.target === "simkim-core")!;
    const state = (target: string) =>
      alerts.find((alert) => alert.labels.target === target)?.status;
    expect(state("simkim-core")).toMatchObject({ state: "active", inhibitedBy: [] });
    for (const target of ["autogate-cgk", "autogate-dps"]) {
      expect(state(target)).toMatchObject({ state: "suppressed", inhibitedBy: [root.fingerprint] });
    }
    expect(state("autogate-kno")).toMatchObject({ state: "active", inhibitedBy: [] });

    // group_interval is 1s in the test: anything else due would have arrived by now
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(notifications).toHaveLength(1);
    const [page] = notifications;
    expect(page).toMatchObject({ path: "/pager", receiver: "pager", status: "firing" });
    expect(page?.alerts.map((alert) => alert.labels)).toEqual([
      {
        alertname: "PantauTargetDown",
        team: "sre-imigrasi",
        target: "simkim-core",
        service: "immigration",
        site: "pdns2",
        instance: "jakarta-1",
        severity: "critical",
        root_target: "simkim-core",
      },
    ]);
    expect(Date.parse(page?.alerts[0]?.startsAt ?? "")).toBe(start);
    expect(posts.every((result) => result === "ok")).toBe(true);
  });

  it("sends the pager the resolution when the root recovers", async () => {
    const end = Date.now() - 1000;
    notifier.firing.recordTransitions([
      transition("simkim-core", { from: "down", to: "up", at: end }),
    ]);
    await until(() => notifications.length === 2, { what: "the resolution", timeoutMs: 20_000 });
    expect(notifications[1]).toMatchObject({ path: "/pager", status: "resolved" });
    expect(Date.parse(notifications[1]?.alerts[0]?.endsAt ?? "")).toBe(end);
    expect(posts.every((result) => result === "ok")).toBe(true);
  });
});

function transition(targetId: string, fields: Partial<CommittedTransition>): CommittedTransition {
  return {
    id: 0,
    runId: 1,
    instance: "jakarta-1",
    targetId,
    service: targetId.startsWith("autogate") ? "autogate" : "immigration",
    site: targetId.startsWith("autogate") ? targetId.slice(-3) : "pdns2",
    from: "up",
    to: "down",
    at: 0,
    detectedAt: 0,
    reason: "connect_refused",
    detail: "connection refused",
    blockedBy: null,
    maintenance: false,
    previousProbeAt: null,
    outageStart: null,
    waitingOn: [],
    ...fields,
  };
}

function down(targetId: string, at: number, blockedBy: string | null): CommittedTransition {
  return transition(targetId, { at, detectedAt: at + 60_000, blockedBy });
}

async function apiAlerts(): Promise<ApiAlert[]> {
  return (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as ApiAlert[];
}
