import type { Registry } from "prom-client";
import { AlertmanagerChannel } from "../alert/alertmanager-channel.js";
import { AlertNotifier } from "../alert/notifier.js";
import type { AlertmanagerSettings, QuorumSettings, Target } from "../config/types.js";
import type { CommittedTransition } from "../engine/types.js";
import { LeaderElection } from "../fleet/election.js";
import { isQuorumLedger, type Ledger } from "../ledger/ledger.js";
import type { Logger } from "../log/logger.js";
import type { Clock, Timers } from "../time/clock.js";
import { QuorumDecider, type QuorumEvent, quorumChain, targetsById } from "./decider.js";
import { QuorumMetrics } from "./metrics.js";

/**
 * A vantage's part in its quorum group: a decider candidate on the group's election, and
 * while it decides, the group's metrics and its pages (the vantages themselves page nothing
 * of the group's; docs/quorum.md).
 */

/** How often the decider reads the vantages: well inside the 1 s from a vantage's commit. */
const POLL_MS = 250;

export interface QuorumServiceOptions {
  settings: QuorumSettings;
  /** `storage.url`: the shared PostgreSQL ledger and its election locks. */
  url: string;
  instance: string;
  ledger: Ledger;
  targets(): readonly Target[];
  clock: Clock;
  timers: Timers;
  heartbeatMs: number;
  logger: Logger;
  registry: Registry;
  alertmanager(): AlertmanagerSettings | null;
  onDelivery(result: "ok" | "error"): void;
}

export class QuorumService {
  readonly decider: QuorumDecider;
  private readonly metrics: QuorumMetrics;
  private notifier: AlertNotifier | null = null;

  constructor(private readonly options: QuorumServiceOptions) {
    const { settings, ledger, url, heartbeatMs } = options;
    if (!isQuorumLedger(ledger)) throw new Error("bug: quorum without a quorum-capable ledger");
    const chain = quorumChain(settings.group);
    const election = new LeaderElection(
      { url, haGroup: chain, keepaliveSeconds: Math.max(1, heartbeatMs / 1000) },
      (reason) => this.decider.lockLost(reason),
    );
    const target = (id: string) => targetsById(options.targets()).get(id);
    this.metrics = new QuorumMetrics(options.registry, settings.group, settings.minDown, target);
    this.decider = new QuorumDecider({
      group: settings.group,
      minDown: settings.minDown,
      deadAfterMs: settings.deadAfter,
      instance: options.instance,
      ledger,
      election,
      targets: options.targets,
      clock: options.clock,
      timers: options.timers,
      pollMs: POLL_MS,
      heartbeatMs,
      logger: options.logger,
      publish: (event) => this.published(event),
    });
  }

  start(): Promise<void> {
    return this.decider.start();
  }

  async stop(): Promise<void> {
    await this.decider.stop();
    await this.stopPaging();
  }

  private published(event: QuorumEvent): void {
    this.metrics.listener(event);
    if (event.kind === "role") {
      if (event.leader) void this.startPaging();
      else void this.stopPaging();
    } else if (event.kind === "committed") {
      const transitions = event.transitions.map(
        (t, i): CommittedTransition => ({
          ...t,
          outageStart: event.outageStarts[i] ?? null,
          waitingOn: event.waitingOn[i] ?? [],
        }),
      );
      this.notifier?.listener({
        kind: "committed",
        transitions,
        attributions: event.attributions,
        holds: event.releases,
      });
    }
  }

  /** The decider pages for the group, under the group chain's name; open outages keep paging. */
  private async startPaging(): Promise<void> {
    const settings = this.options.alertmanager();
    if (settings === null || this.notifier !== null) return;
    const { clock, timers, logger, ledger, targets } = this.options;
    const chain = quorumChain(this.options.settings.group);
    this.notifier = new AlertNotifier({
      channel: new AlertmanagerChannel({ settings }),
      resendMs: settings.resend,
      instance: chain,
      clock,
      timers,
      targetName: (id) => targetsById(targets()).get(id)?.name,
      onDelivery: this.options.onDelivery,
      logger,
    });
    this.notifier.restore(await ledger.latestTransitions(chain));
  }

  private async stopPaging(): Promise<void> {
    const notifier = this.notifier;
    this.notifier = null;
    await notifier?.stop();
  }
}
