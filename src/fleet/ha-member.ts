import { Gauge, type Registry } from "prom-client";
import type { Engine, EngineEvent } from "../engine/engine.js";
import { type CommittedView, readCommittedView } from "../ledger/committed-view.js";
import { isLedgerError } from "../ledger/errors.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Logger } from "../log/logger.js";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import { adoption, takeover } from "./warm-standby.js";

/**
 * One daemon of an HA pair. Both members probe, decide and expose; only the leader
 * writes transitions and pushes alerts. Every heartbeat the standby refreshes its committed
 * view from the ledger (what it exposes is what the ledger holds) and tries the election lock;
 * on winning it claims the leadership in the ledger (which fences the old leader's commits),
 * reads the group's committed state once more and writes where its warm state differs. The
 * leader checks its lock connection and its claim every heartbeat, and demotes on losing either.
 */

export type HaRole = "leader" | "standby";

/** The lock side of an election (src/fleet/election.ts; a fake in unit tests). */
export interface Election {
  tryAcquire(): Promise<boolean>;
  check(): Promise<boolean>;
  release(): Promise<void>;
}

export interface HaMemberOptions {
  haGroup: string;
  /** This daemon's run (its own instance; the run belongs to the group). */
  runId: number;
  ledger: Ledger;
  engine: Engine;
  election: Election;
  clock: Clock;
  timers: Timers;
  everyMs: number;
  logger: Logger;
  registry: Registry;
  /** After a takeover was queued: start what only a leader does (alerts, removed targets). */
  promoted(view: CommittedView): Promise<void>;
  /** After demotion: stop what only a leader does. */
  demoted(): Promise<void>;
}

/** `pantau_ha_leader{ha_group}`, in the daemon's registry (declared once per registry). */
export function haLeaderGauge(registry: Registry): Gauge<"ha_group"> {
  return new Gauge({
    name: "pantau_ha_leader",
    help: "1 while this daemon is the leader (the writer) of its HA group, 0 on a standby",
    labelNames: ["ha_group"],
    registers: [registry],
  });
}

export class HaMember {
  private current: HaRole = "standby";
  private timer: TimerHandle | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;
  private readonly gauge: Gauge<"ha_group">;

  constructor(private readonly options: HaMemberOptions) {
    this.gauge = haLeaderGauge(options.registry);
    this.gauge.set({ ha_group: options.haGroup }, 0);
    options.engine.ha.standby();
    options.engine.subscribe(this.listener);
  }

  get role(): HaRole {
    return this.current;
  }

  /** First election now (before the first probe), then one every `everyMs`. */
  async start(): Promise<void> {
    await this.tick();
    const loop = () => {
      if (this.stopped) return;
      void this.tick().finally(() => {
        if (!this.stopped) this.timer = this.options.timers.setTimeout(loop, this.options.everyMs);
      });
    };
    this.timer = this.options.timers.setTimeout(loop, this.options.everyMs);
  }

  /** One round: refresh and try the lock (standby), or check the lock and the claim (leader). */
  tick(): Promise<void> {
    this.ticking ??= this.round()
      .catch((error: unknown) => {
        this.options.logger.error({ event: "ha_error", err: error }, "HA round failed");
      })
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  /** A commit refused because another member holds the leadership: demote at once. */
  private readonly listener = (event: EngineEvent): void => {
    if (event.kind !== "write" || event.result !== "error") return;
    if (isLedgerError(event.error, "LEDGER_FENCED"))
      void this.demote("fenced: another member leads");
  };

  /** Lock connection lost while leading (called by the election). */
  lockLost(reason: string): void {
    void this.demote(`lock connection lost: ${reason}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.options.timers.clearTimeout(this.timer);
    await this.ticking;
    await this.options.election.release();
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const { election, ledger, haGroup, runId } = this.options;
    if (this.current === "leader") {
      if (!(await election.check())) return this.demote("lock connection lost");
      const leader = await ledger.leader(haGroup);
      if (leader?.runId !== runId) {
        return this.demote(`run ${leader?.runId ?? "none"} claimed the leadership`);
      }
      return;
    }
    await this.refresh();
    if (!(await election.tryAcquire())) return;
    const leader = await ledger.claimLeadership(runId, this.options.clock.now());
    // after the claim nothing more of the old leader's can commit: this view is final
    const view = await this.refresh();
    const { engine, clock } = this.options;
    engine.ha.takeOver(takeover(engine.ha.snapshot(), clock.now()));
    this.current = "leader";
    this.gauge.set({ ha_group: haGroup }, 1);
    this.options.logger.info(
      { event: "ha_leader", ha_group: haGroup, epoch: leader.epoch, run: runId },
      `leader of HA group ${haGroup} (epoch ${leader.epoch})`,
    );
    await this.options.promoted(view);
  }

  /** The group's committed state per target, adopted by the engine. */
  private async refresh(): Promise<CommittedView> {
    const { ledger, haGroup, engine } = this.options;
    const view = await readCommittedView(ledger, haGroup);
    const { latest, blockedBy } = view;
    engine.ha.adopt(adoption(engine.ha.snapshot(), latest, blockedBy, this.options.clock.now()));
    return view;
  }

  private async demote(reason: string): Promise<void> {
    if (this.current !== "leader") return;
    this.current = "standby";
    this.gauge.set({ ha_group: this.options.haGroup }, 0);
    this.options.engine.ha.standby();
    this.options.logger.warn(
      { event: "ha_standby", ha_group: this.options.haGroup, reason },
      `standby of HA group ${this.options.haGroup}: ${reason}`,
    );
    await this.options.election.release();
    await this.options.demoted();
  }
}
