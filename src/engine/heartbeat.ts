import type { Ledger } from "../ledger/ledger.js";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import type { LedgerOperation } from "./ledger-trouble.js";

/** Where a heartbeat's outcome goes: the ledger trouble tracker commits report to as well. */
export interface WriteOutcomes {
  writeSucceeded(operation: LedgerOperation): void;
  writeFailed(operation: LedgerOperation, error: unknown): void;
}

/**
 * The run's heartbeat: every `everyMs` the ledger learns the daemon is alive, so a restart
 * after a crash records the gap from the last beat. A failing beat is ledger trouble like a
 * failing commit: reported once per interval, not once per beat.
 */
export class RunHeartbeat {
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly options: {
      ledger: Ledger;
      runId: number;
      clock: Clock;
      timers: Timers;
      everyMs: number;
      outcomes: WriteOutcomes;
    },
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.options.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.options.timers.setTimeout(() => this.beat(), this.options.everyMs);
    this.timer.unref?.();
  }

  private beat(): void {
    const { ledger, runId, clock, outcomes } = this.options;
    ledger.heartbeat(runId, clock.now()).then(
      () => outcomes.writeSucceeded("heartbeat"),
      (error: unknown) => outcomes.writeFailed("heartbeat", error),
    );
    // the next beat is due an interval after this one, whatever the ledger answers
    this.schedule();
  }
}
