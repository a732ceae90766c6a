import client, { type Registry } from "prom-client";
import { DEFAULT_MAX_PENDING, type EngineEvent, type QueueState } from "../engine/engine.js";
import type { WallClockJump } from "../time/wall-clock-watch.js";

/**
 * The daemon's own trouble: the queue of transitions the ledger has not accepted
 * yet and its bound, whether the ledger takes writes, decisions put off because the queue is
 * full, and steps of the wall clock. Kept apart from metrics.ts; registered in its registry.
 */
export class LedgerQueueMetrics {
  private readonly length: client.Gauge;
  private readonly limit: client.Gauge;
  private readonly writable: client.Gauge;
  private readonly dropped: client.Counter;
  private readonly clockJumps: client.Counter;

  constructor(registry: Registry) {
    this.length = new client.Gauge({
      name: "pantau_ledger_queue_length",
      help: "Transitions decided and not yet committed to the ledger",
      registers: [registry],
    });
    this.limit = new client.Gauge({
      name: "pantau_ledger_queue_limit",
      help: "The ledger queue's bound (storage.max_pending): beyond it state changes are put off",
      registers: [registry],
    });
    // Set from the same episode as /-/ready's ledger reason: the queue stays empty when only
    // heartbeats fail, and pantau_ledger_writes_total counts commits alone.
    this.writable = new client.Gauge({
      name: "pantau_ledger_writable",
      help: "1 while the ledger takes writes; 0 from a failed commit or heartbeat until every failing write has succeeded",
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
    this.limit.set(DEFAULT_MAX_PENDING);
    this.writable.set(1);
    for (const direction of ["forward", "backward"]) this.clockJumps.inc({ direction }, 0);
  }

  readonly listener = (event: EngineEvent): void => {
    switch (event.kind) {
      case "queue":
        this.length.set(event.queue.length);
        if (event.putOff) this.dropped.inc();
        return;
      case "unwritable":
        this.ledgerUnwritable(event.queue);
        return;
      case "writable":
        this.ledgerWritable(event.queue);
        return;
      case "clock-jump":
        this.clockJumped(event.jump);
        return;
    }
  };

  /** The daemon sets the bound at start and after each reload (storage.max_pending). */
  queueLimitChanged(max: number): void {
    this.limit.set(max);
  }

  private ledgerUnwritable(queue: QueueState): void {
    this.length.set(queue.length);
    this.limit.set(queue.max);
    this.writable.set(0);
  }

  private ledgerWritable(queue: QueueState): void {
    this.length.set(queue.length);
    this.writable.set(1);
  }

  private clockJumped(jump: WallClockJump): void {
    this.clockJumps.inc({ direction: jump.jumpMs > 0 ? "forward" : "backward" });
  }
}
