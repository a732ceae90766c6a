import { Agent, fetch as undiciFetch } from "undici";
import type { AlertmanagerSettings } from "../config/types.js";
import type { CommittedTransition, EngineEvent } from "../engine/engine.js";
import type { PageHoldChange } from "../engine/page-holds.js";
import type { AttributionChange, StoredTransition } from "../ledger/ledger.js";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import {
  type AlertEnd,
  type AlertmanagerAlert,
  alertIdentity,
  alertLabels,
  firingAlert,
  type OutageAlert,
  outageAlertFrom,
  reattributed,
  resolvedAlert,
} from "./alertmanager-payload.js";
import { type AlertUpdate, UpdateQueue } from "./alertmanager-queue.js";
import type { Logger } from "./log.js";

export interface AlertmanagerNotifierOptions {
  settings: AlertmanagerSettings;
  /** This daemon's name: the `instance` label. */
  instance: string;
  clock: Clock;
  timers: Timers;
  targetName(targetId: string): string | undefined;
  /** Every POST attempt, as `pantau_alertmanager_posts_total{result}` counts them. */
  onPost(result: "ok" | "error"): void;
  logger?: Logger;
  /** Defaults to undici's fetch over a dispatcher of the notifier's own. */
  fetch?: typeof fetch;
  /** Jitter source in [0, 1); tests pin it. */
  random?: () => number;
  /** Alerts waiting to be posted at most; beyond it resends are dropped first. */
  maxQueued?: number;
}

/** A post that takes longer is abandoned (and retried). */
const POST_TIMEOUT_MS = 10_000;
/** Alerts per POST: a mass outage goes out in a few requests of sane size. */
const MAX_BATCH = 500;
const BACKOFF = { firstMs: 1000, maxMs: 30_000, jitter: 0.2 };
/** How long `stop()` waits for the post in flight. */
const STOP_WAIT_MS = 2000;
/** Each firing alert's lease lasts this many resend periods (Prometheus uses 4 too). */
const LEASE_RESENDS = 4;
/** A `resend: 0s` must not spin. */
const MIN_RESEND_MS = 1000;

interface FiringAlert {
  outage: OutageAlert;
  identity: string;
  /** Monotonic time it was last queued: resends never come sooner than `resend` after it. */
  queuedAt: number;
}

/** The part of fetch a post uses: both the global fetch and undici's satisfy it. */
type PostFetch = (
  url: string,
  init: { method: "POST"; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

type PostOutcome =
  | { kind: "ok" }
  | { kind: "retry"; error: string }
  | { kind: "reject"; error: string };

/**
 * Pushes PantauTargetDown alerts for committed outages to Alertmanager: fires on →down, resends
 * while down, resolves on recovery or removal. Never blocks the engine: updates are queued and
 * posted in batches, one POST at a time, retried with backoff while Alertmanager fails.
 */
export class AlertmanagerNotifier {
  private readonly firing = new Map<string, FiringAlert>();
  /** Outages whose page waits for an upstream's verdict: fired (or not) when released. */
  private readonly held = new Map<string, OutageAlert>();
  private readonly queue: UpdateQueue;
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly fetch: PostFetch;
  private readonly dispatcher: Agent | null = null;
  private inFlight: Promise<void> | null = null;
  private inFlightAbort: AbortController | null = null;
  private pumpQueued = false;
  private failures = 0;
  private retryTimer: TimerHandle | null = null;
  private resendTimer: { handle: TimerHandle; due: number } | null = null;
  private stopped = false;

  constructor(private readonly options: AlertmanagerNotifierOptions) {
    const { endpoint, authorization } = alertsEndpoint(options.settings.url);
    this.endpoint = endpoint;
    this.headers = authorization
      ? { "content-type": "application/json", authorization }
      : { "content-type": "application/json" };
    this.queue = new UpdateQueue(options.maxQueued ?? 10_000, (dropped) =>
      options.logger?.warn({ event: "alertmanager_queue_overflow", dropped }),
    );
    if (options.fetch) {
      this.fetch = options.fetch;
    } else {
      const dispatcher = ownDispatcher();
      this.dispatcher = dispatcher;
      this.fetch = (url, init) => undiciFetch(url, { ...init, dispatcher });
    }
  }

  /** What it reads of the engine: committed facts and page holds, in their order. */
  readonly listener = (event: EngineEvent): void => {
    if (event.kind === "committed") {
      this.transitionsCommitted(event.transitions);
      this.attributionsCommitted(event.attributions);
      this.pageHoldsChanged(event.holds);
    } else if (event.kind === "holds") {
      this.pageHoldsChanged(event.changes);
    }
  };

  transitionsCommitted(transitions: readonly CommittedTransition[]): void {
    if (this.stopped) return;
    for (const transition of transitions) {
      if (transition.to === "down") this.outageStarted(transition, transition.waitingOn.length > 0);
      else if (transition.from === "down") this.outageEnded(transition);
    }
    this.afterChange();
  }

  /** A down target's root cause changed: its alert's labels change, so it is a new alert. */
  attributionsCommitted(changes: readonly AttributionChange[]): void {
    for (const change of changes)
      this.attributionChanged(change.targetId, change.blockedBy, change.at);
  }

  /**
   * Held pages whose upstreams' verdicts are in go out now, with the outage's true start and
   * the attribution the verdict brought (blocked: not a page; its own: a page).
   */
  pageHoldsChanged(changes: readonly PageHoldChange[]): void {
    if (this.stopped) return;
    for (const { targetId, waitingOn } of changes) {
      const outage = this.held.get(targetId);
      if (outage === undefined || waitingOn.length > 0) continue;
      this.held.delete(targetId);
      this.fire(outage);
    }
    this.afterChange();
  }

  attributionChanged(targetId: string, blockedBy: string | null, at: number): void {
    const waiting = this.held.get(targetId);
    if (waiting !== undefined) {
      this.held.set(targetId, reattributed(waiting, blockedBy));
      return;
    }
    const current = this.firing.get(targetId);
    if (this.stopped || !current || current.outage.blockedBy === blockedBy) return;
    this.resolve(current, { at, reason: "reattributed" });
    this.fire(reattributed(current.outage, blockedBy));
    this.afterChange();
  }

  /** After a restart: re-arms the alerts of outages still open (the latest transitions). */
  restore(latest: readonly StoredTransition[]): void {
    if (this.stopped) return;
    for (const transition of latest) if (transition.to === "down") this.outageStarted(transition);
    this.afterChange();
  }

  /** Targets whose alert is firing now. */
  firingTargets(): string[] {
    return [...this.firing.keys()];
  }

  /** Targets whose page waits for an upstream's verdict. */
  heldTargets(): string[] {
    return [...this.held.keys()];
  }

  /** Cancels timers and waits briefly for the post in flight; queued updates are dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer(this.retryTimer);
    this.clearTimer(this.resendTimer?.handle ?? null);
    this.retryTimer = null;
    this.resendTimer = null;
    if (this.inFlight) await this.waitAtMost(this.inFlight, STOP_WAIT_MS);
    this.inFlightAbort?.abort();
    await this.dispatcher?.destroy();
  }

  private outageStarted(transition: StoredTransition, held = false): void {
    if (transition.maintenance) return;
    const name = this.options.targetName(transition.targetId);
    const outage = outageAlertFrom(transition, name, this.options.instance);
    const previous = this.firing.get(transition.targetId);
    // an earlier outage never seen to end is over; the same one (restored) just fires again
    if (previous && previous.outage.start !== outage.start) {
      this.resolve(previous, { at: transition.at, reason: "recovered" });
    }
    if (held) this.held.set(outage.targetId, outage);
    else this.fire(outage);
  }

  private outageEnded(transition: StoredTransition): void {
    // an outage over before its upstream's verdict came was never paged: nothing to resolve
    this.held.delete(transition.targetId);
    const current = this.firing.get(transition.targetId);
    if (!current) return;
    const reason = transition.reason === "removed" ? "removed" : "recovered";
    this.resolve(current, { at: transition.at, reason });
  }

  private fire(outage: OutageAlert): void {
    const identity = alertIdentity(alertLabels(outage, this.options.settings));
    const queuedAt = this.options.clock.monotonic();
    this.firing.set(outage.targetId, { outage, identity, queuedAt });
    this.queue.put(identity, { kind: "fire", outage });
  }

  private resolve(alert: FiringAlert, end: AlertEnd): void {
    this.firing.delete(alert.outage.targetId);
    this.queue.put(alert.identity, { kind: "resolve", outage: alert.outage, end });
  }

  private afterChange(): void {
    this.scheduleResend();
    this.schedulePump();
  }

  // --- resending -------------------------------------------------------------------------

  /** One timer for all firing alerts, due when the longest-waiting one needs resending. */
  private scheduleResend(): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const alert of this.firing.values()) oldest = Math.min(oldest, alert.queuedAt);
    const due = oldest + this.resendMs;
    if (this.resendTimer?.due === due) return;
    this.clearTimer(this.resendTimer?.handle ?? null);
    this.resendTimer = null;
    if (!Number.isFinite(due) || this.stopped) return;
    const delay = Math.max(0, due - this.options.clock.monotonic());
    const handle = this.options.timers.setTimeout(() => this.resendDue(), delay);
    handle.unref?.();
    this.resendTimer = { handle, due };
  }

  private get resendMs(): number {
    return Math.max(MIN_RESEND_MS, this.options.settings.resend);
  }

  private resendDue(): void {
    this.resendTimer = null;
    const now = this.options.clock.monotonic();
    for (const alert of this.firing.values()) {
      if (alert.queuedAt + this.resendMs > now) continue;
      alert.queuedAt = now;
      // one still waiting to go out will carry a fresh lease anyway
      if (!this.queue.has(alert.identity)) {
        this.queue.put(alert.identity, { kind: "resend", outage: alert.outage });
      }
    }
    this.afterChange();
  }

  // --- posting ---------------------------------------------------------------------------

  /** Posts on a microtask: updates made in the same tick share one POST. */
  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped || this.inFlight || this.retryTimer || this.queue.size === 0) return;
    const batch = this.queue.take(MAX_BATCH);
    this.inFlight = this.postBatch(batch).finally(() => {
      this.inFlight = null;
      this.pump();
    });
  }

  private async postBatch(batch: [string, AlertUpdate][]): Promise<void> {
    const now = this.options.clock.now();
    const alerts = batch.map(([, update]) => this.toAlert(update, now));
    const outcome = await this.post(alerts);
    if (this.stopped) return;
    this.options.onPost(outcome.kind === "ok" ? "ok" : "error");
    if (outcome.kind === "ok") {
      this.failures = 0;
    } else if (outcome.kind === "reject") {
      // Alertmanager refused the request itself: the same body would be refused again
      this.failures = 0;
      this.options.logger?.error({
        event: "alertmanager_rejected",
        alerts: alerts.length,
        error: outcome.error,
      });
    } else {
      this.queue.restore(batch);
      this.retryLater(outcome.error, alerts.length);
    }
  }

  private toAlert(update: AlertUpdate, now: number): AlertmanagerAlert {
    const settings = this.options.settings;
    if (update.kind === "resolve") return resolvedAlert(update.outage, settings, update.end);
    return firingAlert(update.outage, settings, now + LEASE_RESENDS * this.resendMs);
  }

  private async post(alerts: AlertmanagerAlert[]): Promise<PostOutcome> {
    const abort = new AbortController();
    this.inFlightAbort = abort;
    const timeout = this.options.timers.setTimeout(() => abort.abort(), POST_TIMEOUT_MS);
    try {
      const response = await this.fetch(this.endpoint, {
        method: "POST",
        headers: this.headers,
        body: JSON.stringify(alerts),
        signal: abort.signal,
      });
      const text = await response.text();
      if (response.ok) return { kind: "ok" };
      const error = `HTTP ${response.status}: ${text.slice(0, 200)}`;
      const retry = response.status === 429 || response.status >= 500;
      return { kind: retry ? "retry" : "reject", error };
    } catch (error) {
      return { kind: "retry", error: errorText(error, abort.signal) };
    } finally {
      this.options.timers.clearTimeout(timeout);
      this.inFlightAbort = null;
    }
  }

  /** Exponential backoff from 1 s, capped at 30 s, jittered ±20 %. */
  private retryLater(error: string, alerts: number): void {
    this.failures += 1;
    const base = Math.min(BACKOFF.maxMs, BACKOFF.firstMs * 2 ** (this.failures - 1));
    const random = this.options.random ?? Math.random;
    const delayMs = Math.round(base * (1 - BACKOFF.jitter + 2 * BACKOFF.jitter * random()));
    this.options.logger?.warn({
      event: "alertmanager_post_failed",
      alerts,
      attempt: this.failures,
      retry_in_ms: delayMs,
      error,
    });
    this.retryTimer = this.options.timers.setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, delayMs);
    this.retryTimer.unref?.();
  }

  private clearTimer(handle: TimerHandle | null): void {
    if (handle) this.options.timers.clearTimeout(handle);
  }

  private async waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
    let timer: TimerHandle | null = null;
    const elapsed = new Promise<void>((resolve) => {
      timer = this.options.timers.setTimeout(resolve, ms);
    });
    await Promise.race([promise, elapsed]);
    this.clearTimer(timer);
  }
}

/** Its own connection pool: one connection (one post at a time), closed by `stop()`. */
function ownDispatcher(): Agent {
  return new Agent({
    connections: 1,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connect: { timeout: POST_TIMEOUT_MS },
  });
}

function errorText(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return `no answer within ${POST_TIMEOUT_MS / 1000}s`;
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
