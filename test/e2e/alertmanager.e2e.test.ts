import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { AlertmanagerNotifier } from "../../src/expose/alertmanager.js";
import type { StoredTransition } from "../../src/ledger/ledger.js";
import { systemClock, systemTimers } from "../../src/time/clock.js";

/**
 * The shipped config/alertmanager/alertmanager.yml, run by Debian's real Alertmanager with only
 * its receiver URLs and timings replaced: a root outage pages, its blocked dependants do not.
 */

const BINARY = "/usr/bin/prometheus-alertmanager";
const SHIPPED = "config/alertmanager/alertmanager.yml";
const dir = mkdtempSync(join(tmpdir(), "pantau-alertmanager-"));

interface WebhookAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
}
interface Notification {
  path: string;
  receiver: string;
  status: string;
  alerts: WebhookAlert[];
}
interface ApiAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string; inhibitedBy: string[] };
}

const notifications: Notification[] = [];
let webhook: Server;
let alertmanager: ChildProcess;
let amUrl = "";
const posts: ("ok" | "error")[] = [];
let notifier: AlertmanagerNotifier;

beforeAll(async () => {
  webhook = await startWebhook();
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  const config = join(dir, "alertmanager.yml");
  writeFileSync(config, testConfig(`http://127.0.0.1:${(webhook.address() as AddressInfo).port}`));
  alertmanager = spawn(
    BINARY,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  alertmanager.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await vi.waitFor(
    async () => {
      expect(alertmanager.exitCode, stderr).toBeNull();
      expect((await fetch(`${amUrl}/-/ready`)).status).toBe(200);
    },
    { timeout: 30_000, interval: 100 },
  );
  notifier = new AlertmanagerNotifier({
    settings: { url: amUrl, resend: 60_000, labels: { team: "sre-imigrasi" } },
    instance: "jakarta-1",
    clock: systemClock,
    timers: systemTimers,
    targetName: (id) => id.toUpperCase(),
    onPost: (result) => posts.push(result),
  });
});

afterAll(async () => {
  await notifier?.stop();
  if (alertmanager?.pid !== undefined && alertmanager.exitCode === null) {
    const exited = new Promise((resolve) => alertmanager.once("exit", resolve));
    process.kill(alertmanager.pid, "SIGTERM");
    await exited;
  }
  await new Promise((resolve) => webhook?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("config/alertmanager/alertmanager.yml with Alertmanager", () => {
  it("is valid for amtool as shipped", () => {
    const out = execFileSync("amtool", ["check-config", SHIPPED], { encoding: "utf8" });
    expect(out).toContain("SUCCESS");
  });

  it("pages once for a root outage and never for the dependants it inhibits", async () => {
    const start = Date.now() - 90_000;
    notifier.transitionsCommitted([
      down("simkim-core", start, null),
      down("autogate-cgk", start + 1000, "simkim-core"),
      down("autogate-dps", start + 2000, "simkim-core"),
      // blocked by a root that pages no one (in maintenance): `equal` keeps it un-inhibited
      down("autogate-kno", start + 3000, "network-kno"),
    ]);
    await vi.waitFor(() => expect(notifications).toHaveLength(1), { timeout: 20_000 });
    const alerts = await vi.waitFor(
      async () => {
        const listed = await apiAlerts();
        expect(listed.filter((alert) => alert.status.state !== "unprocessed")).toHaveLength(4);
        return listed;
      },
      { timeout: 10_000, interval: 200 },
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
        severity: "page",
        root_target: "simkim-core",
      },
    ]);
    expect(Date.parse(page?.alerts[0]?.startsAt ?? "")).toBe(start);
    expect(posts.every((result) => result === "ok")).toBe(true);
  });

  it("sends the pager the resolution when the root recovers", async () => {
    const end = Date.now() - 1000;
    notifier.transitionsCommitted([transition("simkim-core", { from: "down", to: "up", at: end })]);
    await vi.waitFor(() => expect(notifications).toHaveLength(2), { timeout: 20_000 });
    expect(notifications[1]).toMatchObject({ path: "/pager", status: "resolved" });
    expect(Date.parse(notifications[1]?.alerts[0]?.endsAt ?? "")).toBe(end);
    expect(posts.every((result) => result === "ok")).toBe(true);
  });
});

/** The shipped file, receivers pointing at the test's webhook and timings cut to seconds. */
function testConfig(webhookUrl: string): string {
  const config = parse(readFileSync(SHIPPED, "utf8")) as {
    route: Record<string, unknown>;
    receivers: { name: string; webhook_configs?: { url: string }[] }[];
  };
  Object.assign(config.route, { group_wait: "1s", group_interval: "1s", repeat_interval: "1h" });
  for (const receiver of config.receivers) {
    for (const webhookConfig of receiver.webhook_configs ?? []) {
      webhookConfig.url = `${webhookUrl}/${receiver.name}`;
    }
  }
  return stringify(config);
}

function transition(targetId: string, fields: Partial<StoredTransition>): StoredTransition {
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
    ...fields,
  };
}

function down(targetId: string, at: number, blockedBy: string | null): StoredTransition {
  return transition(targetId, { at, detectedAt: at + 60_000, blockedBy });
}

async function apiAlerts(): Promise<ApiAlert[]> {
  return (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as ApiAlert[];
}

async function startWebhook(): Promise<Server> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      notifications.push({
        ...(JSON.parse(body) as Omit<Notification, "path">),
        path: request.url ?? "",
      });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
