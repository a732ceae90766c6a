import type { EngineListener } from "../engine/engine.js";
import type { StoredTransition } from "../ledger/ledger.js";
import type { Logger } from "../log/logger.js";
import type { Clock, Timers } from "../time/clock.js";
import type { AlertChannel } from "./channel.js";
import { AlertDelivery } from "./delivery.js";
import { alertEngineListener } from "./engine-events.js";
import { FiringAlerts } from "./firing.js";

export interface AlertNotifierOptions {
  /** Where alerts go: Alertmanager, or any other implementation of the channel. */
  channel: AlertChannel;
  /** This daemon's name (or its HA pair's): the alerts' `instance`. */
  instance: string;
  /** How often a firing alert is sent again (`alertmanager.resend`). */
  resendMs: number;
  clock: Clock;
  timers: Timers;
  targetName(targetId: string): string | undefined;
  /** Every delivery attempt, as `pantau_alertmanager_posts_total{result}` counts them. */
  onDelivery(result: "ok" | "error"): void;
  logger?: Logger;
  /** Jitter source in [0, 1); tests pin it. */
  random?: () => number;
  /** Updates waiting to go out at most; beyond it resends are dropped first. */
  maxQueued?: number;
}

/**
 * Pages for committed outages through one channel: the firing logic decides, the delivery
 * carries, the channel speaks the receiver's language. Subscribe `listener` to the engine.
 */
export class AlertNotifier {
  /** What fires, is held, resolves and is resent: feed it committed facts. */
  readonly firing: FiringAlerts;
  /** The engine's side of the notifier: subscribe it to the engine. */
  readonly listener: EngineListener;
  private readonly delivery: AlertDelivery;

  constructor(options: AlertNotifierOptions) {
    this.delivery = new AlertDelivery({
      channel: options.channel,
      clock: options.clock,
      timers: options.timers,
      onDelivery: options.onDelivery,
      logger: options.logger,
      random: options.random,
      maxQueued: options.maxQueued,
    });
    this.firing = new FiringAlerts({
      instance: options.instance,
      resendMs: options.resendMs,
      clock: options.clock,
      timers: options.timers,
      targetName: options.targetName,
      outbox: this.delivery,
    });
    this.listener = alertEngineListener(this.firing);
  }

  /** After a restart or a takeover: re-arms the alerts of outages still open. */
  restore(latest: readonly StoredTransition[]): void {
    this.firing.restore(latest);
  }

  firingTargets(): string[] {
    return this.firing.firingTargets();
  }

  heldTargets(): string[] {
    return this.firing.heldTargets();
  }

  /** Stops firing and resending, waits briefly for the delivery in flight; the rest is dropped. */
  async stop(): Promise<void> {
    this.firing.stop();
    await this.delivery.stop();
  }
}
