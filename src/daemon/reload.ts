import { hostname } from "node:os";
import { readBearerToken } from "../config/bearer-token.js";
import { loadConfigOffThread } from "../config/load-off-thread.js";
import { chainOf, haPairChange, targetDiff } from "../config/reload-diff.js";
import type { Config } from "../config/types.js";
import type { Engine } from "../engine/engine.js";
import type { PantauMetrics } from "../expose/metrics.js";
import { type ConfigIssue, formatConfigIssue } from "../fields/errors.js";
import type { Ledger, StoredTransition } from "../ledger/ledger.js";
import type { Scheduler } from "../schedule/scheduler.js";
import { type Clock, systemTimers } from "../time/clock.js";
import type { DaemonOptions } from "./options.js";
import { inSlices, Slicer } from "./slices.js";
import { watchTarget } from "./watch.js";

export type ReloadOutcome =
  | { ok: true; added: string[]; changed: string[]; removed: string[] }
  | { ok: false; issues: ConfigIssue[] }
  /** The daemon began to stop first: the reload was ended where it stood (see `abandon`). */
  | { ok: false; abandoned: true; issues: [] };

/** Thrown through a reload by `Reloader.abandon`: the daemon is stopping. */
class ReloadAbandoned extends Error {
  override readonly name = "ReloadAbandoned";
}

/** The running daemon as a reload sees it: the parts it changes, and its config and token. */
export interface ReloadParts {
  options: DaemonOptions;
  engine: Engine;
  scheduler: Scheduler;
  metrics: PantauMetrics;
  ledger: Ledger;
  clock: Clock;
  config(): Config;
  /** The reload is accepted: from now on the daemon runs `config`, asking for `token`. */
  accepted(config: Config, token: string | null): void;
}

/**
 * SIGHUP or `POST /-/reload`: re-reads the config; an invalid one is rejected, logged and
 * reported by metric while the old one keeps running. Targets whose settings did not change
 * keep their state and schedule. Reloads run one at a time, each against the config the
 * previous one applied.
 */
export class Reloader {
  private reloading: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(private readonly parts: ReloadParts) {}

  reload(): Promise<ReloadOutcome> {
    const outcome = this.reloading.then(() => this.reloadOrAbandon());
    this.reloading = outcome.catch(() => undefined);
    return outcome;
  }

  /**
   * The daemon stops: a reload in progress ends at its next step (its worker terminated, or
   * between two slices), and any asked for later is not begun. A stop must not wait for the
   * parse of a big file, nor a reload change targets under a stopping engine. What a reload
   * had already applied stays (targets it removed end their outages as `removed`): the file
   * holds the new config, and the next start reads it whole.
   */
  abandon(): void {
    this.stopping.abort(new ReloadAbandoned("the daemon is stopping"));
  }

  private async reloadOrAbandon(): Promise<ReloadOutcome> {
    try {
      this.stopping.signal.throwIfAborted();
      return await this.reloadNow(this.stopping.signal);
    } catch (error) {
      if (!(error instanceof ReloadAbandoned)) throw error;
      this.parts.options.logger.info(
        { event: "reload", ok: false, abandoned: true },
        "config reload abandoned: pantau is stopping",
      );
      return { ok: false, abandoned: true, issues: [] };
    }
  }

  private async reloadNow(signal: AbortSignal): Promise<ReloadOutcome> {
    const { options, engine, scheduler, metrics, clock } = this.parts;
    const running = this.parts.config();
    const listenOverridden = options.listen !== undefined;
    // parsed, validated and compared in a worker thread: a big file must not stop the probes
    const { loaded, restartOnly, fallback } = await loadConfigOffThread(
      options.configFile,
      options.env ?? process.env,
      { hostname: hostname(), shard: options.shard ?? null },
      { config: running, options: { listenOverridden } },
      { timers: options.timers ?? systemTimers, signal },
    );
    if (fallback) {
      // done all the same, but on this thread: a big file held the probes for as long
      options.logger.warn(
        { event: "reload_fallback", reason: fallback.reason, error: fallback.detail },
        "the config load worker did not do the load: loaded on the main thread",
      );
    }
    if (!loaded.ok) {
      const outcome = this.reject(loaded.issues);
      options.logger.error(
        { event: "reload", ok: false },
        "config reload rejected; keeping the old one",
      );
      return outcome;
    }
    const next = loaded.config;
    const pairChange = haPairChange(running, next);
    if (pairChange !== null) return this.reject([pairChange]);
    if (restartOnly.length > 0) return this.reject(restartOnly);
    const token = await readBearerToken(next);
    signal.throwIfAborted();
    if (token !== null && typeof token !== "string") return this.reject([token]);
    // the diff and its application run in slices, each a short turn of the event loop
    const slicer = new Slicer(undefined, signal);
    const changes = await inSlices(targetDiff(running.targets, next.targets), slicer);
    await slicer.forEach(changes.removed, (id) => {
      scheduler.remove(id);
      engine.remove(id);
    });
    const latest = await this.latestOf(changes.added, chainOf(running));
    signal.throwIfAborted();
    await slicer.forEach(changes.apply, (target) => {
      engine.update(target, latest.get(target.id) ?? null);
      // a push target added or changed by a reload: its deadlines run from now, or its last push
      watchTarget(target, { scheduler, engine });
    });
    this.parts.accepted(next, token);
    const maxPendingBefore = engine.queueState.max;
    // a test's tuning stays what it was at start; otherwise the file's bound applies
    const maxPending = options.engineTuning?.maxPending ?? next.storage.maxPending;
    const { canaries } = next.global;
    engine.setPolicy({ canaries, maintenance: next.maintenance, maxPending });
    metrics.ledgerQueue.queueLimitChanged(maxPending);
    // accepted: the rest runs to its end, a stop or not
    await inSlices(
      metrics.syncTargetSteps(next.targets, (id) => engine.committedState(id)),
      new Slicer(),
    );
    metrics.configReloaded(true, clock.now());
    const { added, changed, removed } = changes;
    const limit = maxPending !== maxPendingBefore ? { max_pending: maxPending } : {};
    options.logger.info(
      { event: "reload", ok: true, added, changed, removed, ...limit },
      `config reloaded: +${added.length} ~${changed.length} -${removed.length}`,
    );
    return { ok: true, added, changed, removed };
  }

  /** A reload that cannot be applied: each issue logged, the metric says so, the old config stays. */
  private reject(issues: ConfigIssue[]): ReloadOutcome {
    for (const issue of issues) {
      this.parts.options.logger.error(
        { event: "reload_error", code: issue.code },
        formatConfigIssue(issue),
      );
    }
    this.parts.metrics.configReloaded(false, this.parts.clock.now());
    return { ok: false, issues };
  }

  /**
   * The last committed transition of each id (re-)added by a reload: an id removed earlier
   * while up or degraded is still in that state in the ledger, and its chain continues there.
   */
  private async latestOf(
    ids: readonly string[],
    chain: string,
  ): Promise<Map<string, StoredTransition>> {
    if (ids.length === 0) return new Map();
    // a removal still waiting for its commit would otherwise be read as the state before it
    await this.parts.engine.flush();
    const wanted = new Set(ids);
    const latest = await this.parts.ledger.latestTransitions(chain);
    return new Map(latest.filter((t) => wanted.has(t.targetId)).map((t) => [t.targetId, t]));
  }
}
