/** An alert channel that keeps what it is given: the firing logic seen without any receiver. */
import type { AlertChannel, AlertNotice, DeliveryOutcome } from "../../src/alert/channel.js";
import { AlertNotifier } from "../../src/alert/notifier.js";
import type { CommittedTransition } from "../../src/engine/engine.js";
import { memoryLogger } from "../support/memory-log.js";
import { FakeTime } from "../support/time.js";

export class MemoryChannel implements AlertChannel {
  readonly name = "memory";
  /** Every delivery, in order, as the channel got it. */
  readonly deliveries: AlertNotice[][] = [];
  /** How the next deliveries go, first first (an Error is thrown); then delivered. */
  readonly outcomes: (DeliveryOutcome | Error)[] = [];
  closed = 0;

  constructor(readonly maxBatch = 100) {}

  async deliver(alerts: readonly AlertNotice[]): Promise<DeliveryOutcome> {
    this.deliveries.push([...alerts]);
    const outcome = this.outcomes.shift() ?? { kind: "delivered" };
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  async close(): Promise<void> {
    this.closed += 1;
  }
}

/** A notifier over a MemoryChannel, on fake time; resend every minute, jitter pinned. */
export function memoryNotifier(maxBatch?: number) {
  const time = new FakeTime();
  const channel = new MemoryChannel(maxBatch);
  const log = memoryLogger("info");
  const results: ("ok" | "error")[] = [];
  const notifier = new AlertNotifier({
    channel,
    resendMs: 60_000,
    instance: "jakarta-1",
    clock: time,
    timers: time,
    targetName: (id) => id.toUpperCase(),
    onDelivery: (result) => results.push(result),
    logger: log.logger,
    random: () => 0.5,
  });
  return { time, channel, log, results, notifier };
}

/** Each delivery as [status, target, blocked_by, the time that matters: lease end or end]. */
export function summary(channel: MemoryChannel): (string | number | null)[][][] {
  return channel.deliveries.map((delivery) =>
    delivery.map((notice) => [
      notice.status,
      notice.outage.targetId,
      notice.outage.blockedBy,
      notice.status === "firing" ? notice.leaseUntil : notice.end.at,
    ]),
  );
}

/** A committed →down (or any transition) of the estate's core, with `fields` over it. */
export function committed(fields: Partial<CommittedTransition>): CommittedTransition {
  return {
    id: 1,
    runId: 1,
    instance: "jakarta-1",
    targetId: "simkim-core",
    service: "immigration-core",
    site: "pdns2",
    from: "up",
    to: "down",
    at: 0,
    detectedAt: 0,
    reason: "refused",
    detail: "connection refused",
    blockedBy: null,
    maintenance: false,
    previousProbeAt: null,
    outageStart: null,
    waitingOn: [],
    ...fields,
  };
}
