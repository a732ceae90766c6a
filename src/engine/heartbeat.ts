import type { Ledger } from "../ledger/ledger.js";
import type { Clock, TimerHandle, Timers } from "../time/clock.js";
import { isNoSpace, type LedgerOperation } from "./ledger-trouble.js";

/** Where a heartbeat's outcome goes: the ledger trouble tracker commits report to as well. */
export interface WriteOutcomes {
  writeSucceeded(operation: LedgerOperation): void;
  writeFailed(operation: LedgerOperation, error: unknown): void;
}

/** The commit queue, as the heartbeat sees it: its outcomes go there, and it waits for it. */
export interface HeartbeatQueue extends WriteOutcomes {
  /** Transitions waiting for the ledger. */
  readonly length: number;
  /** Non-null while the ledger's writes fail. */
  readonly troubleStatus: unknown;
}

/** A beat failing for want of space is next tried after at most this long. */
export const HEARTBEAT_BACKOFF_MAX_MS = 60_000;

/**
 * The run's heartbeat: every `everyMs` the ledger learns the daemon is alive, so a restart
 * after a crash records the gap from the last beat. A failing beat is ledger trouble like a
 * failing commit: reported once per interval, not once per beat.
 *
 * On a full disk the heartbeat stops eating the room the queue needs: a beat that fails for
 * want of space doubles the delay to the next (up to `backoffMaxMs`), and no beat is written
 * while the ledger fails and transitions wait (the queue's retries find out when space is back,
 * and a transition is worth more than a beat).
 */
export class RunHeartbeat {
  private timer: TimerHandle | null = null;
  private stopped = false;
  private delayMs: number;
  /** Beats not written because transitions were waiting on a failing ledger. */
  skipped = 0;

  constructor(
    private readonly options: {
      ledger: Ledger;
      runId: number;
      clock: Clock;
      timers: Timers;
      everyMs: number;
      outcomes: HeartbeatQueue;
      backoffMaxMs?: number;
    },
  ) {
    this.delayMs = options.everyMs;
  }

  start(): void {
    this.schedule(this.options.everyMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.options.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** How long after the last beat the next one is due (grows while the disk is full). */
  get nextDelayMs(): number {
    return this.delayMs;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.options.timers.setTimeout(() => this.beat(), delayMs);
    this.timer.unref?.();
  }

  private beat(): void {
    const { ledger, runId, clock, outcomes, everyMs } = this.options;
    this.timer = null;
    if (outcomes.troubleStatus !== null && outcomes.length > 0) {
      this.skipped++;
      this.schedule(this.delayMs);
      return;
    }
    ledger
      .heartbeat(runId, clock.now())
      .then(
        () => {
          this.delayMs = everyMs;
          outcomes.writeSucceeded("heartbeat");
        },
        (error: unknown) => {
          if (isNoSpace(error)) {
            const max = Math.max(everyMs, this.options.backoffMaxMs ?? HEARTBEAT_BACKOFF_MAX_MS);
            this.delayMs = Math.min(this.delayMs * 2, max);
          }
          outcomes.writeFailed("heartbeat", error);
        },
      )
      // the next beat is due its delay after this one's answer
      .finally(() => this.schedule(this.delayMs));
  }
}
