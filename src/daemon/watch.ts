import type { Target } from "../config/types.js";
import type { Engine } from "../engine/engine.js";
import type { PushRecord } from "../ledger/ledger.js";
import { planOf, type Scheduler } from "../schedule/scheduler.js";

/**
 * How a target is watched: probed on its schedule, or — a push target — by the engine's push
 * watch (its deadlines run from `lastPush`, the ledger's, at start). A reload that changes a
 * target's kind moves it from one to the other.
 */
export function watchTarget(
  target: Target,
  parts: { scheduler: Scheduler; engine: Engine },
  lastPush: PushRecord | null = null,
): void {
  if (target.probe.kind === "push") {
    parts.scheduler.remove(target.id);
    parts.engine.push.watch(target, lastPush);
    return;
  }
  parts.engine.push.unwatch(target.id);
  parts.scheduler.upsert(target.id, planOf(target));
}
