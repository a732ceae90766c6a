import type { Registry } from "prom-client";
import { AlertmanagerChannel } from "../alert/alertmanager-channel.js";
import { AlertNotifier } from "../alert/notifier.js";
import type { AlertmanagerSettings } from "../config/types.js";
import type { Engine } from "../engine/engine.js";
import type { CommittedView } from "../ledger/committed-view.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Logger } from "../log/logger.js";
import type { Clock, Timers } from "../time/clock.js";
import { LeaderElection } from "./election.js";
import { HaMember } from "./ha-member.js";

/**
 * What only the writer of a chain does, and when a daemon is that writer: alone, from its
 * start; in an HA pair, while it holds the election. The writer pages (pantau's own push to
 * Alertmanager), keeps paging for outages still open, and ends outages of targets the
 * configuration no longer has.
 */
export interface LeadershipOptions {
  /** The HA pair this daemon belongs to (`jkt` or `jkt/1/4`), or null when alone. */
  haPair: string | null;
  /** The name its alerts carry: the pair's, whichever member pushes them, or the daemon's. */
  chain: string;
  /** Where the pair's election lock lives (`storage.url`). */
  url: string | null;
  everyMs: number;
  runId: number;
  ledger: Ledger;
  engine: Engine;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  registry: Registry;
  /** The push's settings now (they follow reloads), or null without one. */
  alertmanager(): AlertmanagerSettings | null;
  /** Every delivery attempt of the push. */
  onDelivery(result: "ok" | "error"): void;
}

export class Leadership {
  /** This daemon's part in its HA pair, else null. */
  readonly ha: HaMember | null;
  private notifier: AlertNotifier | null = null;

  constructor(private readonly options: LeadershipOptions) {
    this.ha = options.haPair === null ? null : this.joinPair(options.haPair);
  }

  /**
   * From the committed state the daemon starts with: alone, it leads at once; in a pair, the
   * first election runs now (before the first probe), so a lone member leads from the start.
   */
  async start(view: CommittedView): Promise<void> {
    if (this.ha === null) await this.lead(view);
    else await this.ha.start();
  }

  async stop(): Promise<void> {
    await this.stopPaging();
    // releasing the lock hands over at once: the standby wins at its next heartbeat
    await this.ha?.stop();
  }

  private async lead({ latest, blockedBy }: CommittedView): Promise<void> {
    this.startPaging();
    const open = latest.map((t) =>
      t.to === "down" ? { ...t, blockedBy: blockedBy.get(t.targetId) ?? null } : t,
    );
    // outages still open keep paging, their alerts sent again with their true start
    this.notifier?.restore(open);
    this.options.engine.endOrphanOutages(latest);
    await this.options.engine.flush();
  }

  private joinPair(haPair: string): HaMember {
    const { url, everyMs } = this.options;
    if (url === null) throw new Error("bug: ha_group without storage.url passed validation");
    let member: HaMember | null = null;
    const election = new LeaderElection(
      { url, haGroup: haPair, keepaliveSeconds: everyMs / 1000 },
      (reason) => member?.lockLost(reason),
    );
    member = new HaMember({
      haGroup: haPair,
      election,
      runId: this.options.runId,
      ledger: this.options.ledger,
      engine: this.options.engine,
      clock: this.options.clock,
      timers: this.options.timers,
      everyMs,
      logger: this.options.logger,
      registry: this.options.registry,
      promoted: (view) => this.lead(view),
      demoted: () => this.stopPaging(),
    });
    return member;
  }

  /** Direct pushes to Alertmanager, when configured; never in the way of probing or the ledger. */
  private startPaging(): void {
    const settings = this.options.alertmanager();
    if (!settings || this.notifier) return;
    const { clock, timers, logger, engine } = this.options;
    this.notifier = new AlertNotifier({
      channel: new AlertmanagerChannel({ settings }),
      resendMs: settings.resend,
      instance: this.options.chain,
      clock,
      timers,
      targetName: (id) => engine.target(id)?.name,
      onDelivery: this.options.onDelivery,
      logger,
    });
    engine.subscribe(this.notifier.listener);
  }

  private async stopPaging(): Promise<void> {
    const notifier = this.notifier;
    this.notifier = null;
    if (notifier === null) return;
    this.options.engine.unsubscribe(notifier.listener);
    await notifier.stop();
  }
}
