import { Agent, fetch as undiciFetch } from "undici";
import type { AlertmanagerSettings } from "../config/types.js";
import { alertmanagerAlert } from "./alertmanager-payload.js";
import type { AlertChannel, AlertNotice, DeliveryOutcome } from "./channel.js";

export interface AlertmanagerChannelOptions {
  settings: AlertmanagerSettings;
  /** Defaults to undici's fetch over a dispatcher of the channel's own. */
  fetch?: typeof fetch;
}

/** A connection that takes longer is abandoned (the delivery's own deadline is 10 s too). */
const CONNECT_TIMEOUT_MS = 10_000;

/** The part of fetch a post uses: both the global fetch and undici's satisfy it. */
type PostFetch = (
  url: string,
  init: { method: "POST"; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/**
 * Alertmanager's API v2 as an alert channel: one `POST /api/v2/alerts` per delivery. A 4xx
 * other than 429 is a refusal of the request itself; 5xx, 429 and no answer are worth a retry.
 */
export class AlertmanagerChannel implements AlertChannel {
  readonly name = "alertmanager";
  /** Alerts per POST: a mass outage goes out in a few requests of sane size. */
  readonly maxBatch = 500;
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly fetch: PostFetch;
  private readonly dispatcher: Agent | null = null;

  constructor(private readonly options: AlertmanagerChannelOptions) {
    const { endpoint, authorization } = alertsEndpoint(options.settings.url);
    this.endpoint = endpoint;
    this.headers = authorization
      ? { "content-type": "application/json", authorization }
      : { "content-type": "application/json" };
    if (options.fetch) {
      this.fetch = options.fetch;
    } else {
      const dispatcher = ownDispatcher();
      this.dispatcher = dispatcher;
      this.fetch = (url, init) => undiciFetch(url, { ...init, dispatcher });
    }
  }

  async deliver(alerts: readonly AlertNotice[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = alerts.map((alert) => alertmanagerAlert(alert, this.options.settings));
    try {
      const response = await this.fetch(this.endpoint, {
        method: "POST",
        headers: this.headers,
        body: JSON.stringify(body),
        signal,
      });
      const text = await response.text();
      if (response.ok) return { kind: "delivered" };
      const error = `HTTP ${response.status}: ${text.slice(0, 200)}`;
      const retry = response.status === 429 || response.status >= 500;
      return { kind: retry ? "retry" : "rejected", error };
    } catch (error) {
      return { kind: "retry", error: errorText(error, signal) };
    }
  }

  async close(): Promise<void> {
    await this.dispatcher?.destroy();
  }
}

/** Its own connection pool: one connection (one post at a time), closed by `close()`. */
function ownDispatcher(): Agent {
  return new Agent({
    connections: 1,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connect: { timeout: CONNECT_TIMEOUT_MS },
  });
}

function errorText(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return signal.reason instanceof Error ? signal.reason.message : "aborted";
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

/**
 * The alerts API under `url`. User info in the URL (an Alertmanager behind a proxy with basic
 * auth) becomes an Authorization header: fetch refuses such a URL, and its error quotes it whole.
 */
export function alertsEndpoint(url: string): { endpoint: string; authorization: string | null } {
  const parsed = new URL(url);
  let authorization: string | null = null;
  if (parsed.username !== "" || parsed.password !== "") {
    const userinfo = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    authorization = `Basic ${Buffer.from(userinfo).toString("base64")}`;
    parsed.username = "";
    parsed.password = "";
  }
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, "")}/api/v2/alerts`;
  return { endpoint: parsed.toString(), authorization };
}
