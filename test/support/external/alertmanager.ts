/**
 * Debian's real Alertmanager for end-to-end tests: the shipped config/alertmanager/alertmanager.yml
 * with only its receiver URLs (→ a webhook in the test) and timings replaced, and the webhook
 * receiver that records every notification.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { unusedPort } from "../servers/loopback.js";
import { startReceiver } from "../servers/receiver.js";
import { until } from "../until.js";
import { terminate } from "./prometheus.js";

export const ALERTMANAGER = "/usr/bin/prometheus-alertmanager";
export const SHIPPED_ALERTMANAGER_CONFIG = "config/alertmanager/alertmanager.yml";

export interface WebhookAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt: string;
}
/** One notification as Alertmanager's webhook sends it; `path` is `/<receiver name>`. */
export interface Notification {
  path: string;
  receiver: string;
  status: string;
  alerts: WebhookAlert[];
}

export interface Webhook {
  url: string;
  /** Every notification received, in order. */
  notifications: Notification[];
  close(): Promise<void>;
}

/** An HTTP receiver on loopback that records every webhook notification. */
export async function startWebhook(): Promise<Webhook> {
  const notifications: Notification[] = [];
  const receiver = await startReceiver((path, body) => {
    notifications.push({ ...(JSON.parse(body) as Omit<Notification, "path">), path });
  });
  return { ...receiver, notifications };
}

/**
 * The shipped file, every receiver's webhook URL → `${webhookUrl}/${receiver name}` and the
 * route's timings cut to seconds; routes, matchers, grouping and inhibition as shipped.
 */
export function alertmanagerTestConfig(webhookUrl: string): string {
  const config = parse(readFileSync(SHIPPED_ALERTMANAGER_CONFIG, "utf8")) as {
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

export interface RunningAlertmanager {
  url: string;
  /** host:port, for Prometheus' `alerting.alertmanagers`. */
  address: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts Alertmanager with `configText` (state under `dir`); resolves once it is ready. */
export async function startAlertmanager(options: {
  configText: string;
  dir: string;
}): Promise<RunningAlertmanager> {
  const port = await unusedPort();
  const address = `127.0.0.1:${port}`;
  const configFile = join(options.dir, "alertmanager.yml");
  writeFileSync(configFile, options.configText);
  const child = spawn(
    ALERTMANAGER,
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(options.dir, "alertmanager-data")}`,
      `--web.listen-address=${address}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const running: RunningAlertmanager = {
    url: `http://${address}`,
    address,
    stderr: () => stderr,
    stop: () => terminate(child),
  };
  try {
    await until(async () => (await fetch(`${running.url}/-/ready`)).status === 200, {
      what: "alertmanager to be ready",
      timeoutMs: 30_000,
      intervalMs: 100,
      failed: () => (child.exitCode === null ? null : `alertmanager exited: ${stderr}`),
    });
  } catch (error) {
    await running.stop();
    throw error;
  }
  return running;
}
