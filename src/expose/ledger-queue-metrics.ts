import client, { type Registry } from "prom-client";
import type { EngineSubscriber, QueueState } from "../engine/engine.js";
import type { WallClockJump } from "../time/wall-clock-watch.js";

/**
 * The daemon's own trouble (issue #9): the queue of transitions the ledger has not accepted
 * yet, decisions put off because it is full, and steps of the wall clock. Kept apart from
 * metrics.ts; registered in its registry.
 */
export class LedgerQueueMetrics implements EngineSubscriber {
  private readonly length: client.Gauge;
  private readonly dropped: client.Counter;
  private readonly clockJumps: client.Counter;

  constructor(registry: Registry) {
    this.length = new client.Gauge({
      name: "pantau_ledger_queue_length",
      help: "Transitions decided and not yet committed to the ledger",
      registers: [registry],
    });
    this.dropped = new client.Counter({
      name: "pantau_ledger_queue_dropped_total",
      help: "Transitions put off because the ledger queue was full (decided again later)",
      registers: [registry],
    });
    this.clockJumps = new client.Counter({
      name: "pantau_clock_jumps_total",
      help: "Steps of the wall clock against the monotonic clock, by direction",
      labelNames: ["direction"],
      registers: [registry],
    });
    this.length.set(0);
    for (const direction of ["forward", "backward"]) this.clockJumps.inc({ direction }, 0);
  }

  queueLengthChanged(length: number): void {
    this.length.set(length);
  }

  transitionDropped(): void {
    this.dropped.inc();
  }

  ledgerUnwritable(_report: unknown, queue: QueueState): void {
    this.length.set(queue.length);
  }

  clockJumped(jump: WallClockJump): void {
    this.clockJumps.inc({ direction: jump.jumpMs > 0 ? "forward" : "backward" });
  }
}
