import type { TargetState } from "../../src/health/types.js";
import type { NewTransition } from "../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { targetId } from "./pantau.js";

/**
 * A ledger of `perTarget` transitions for each of `count` targets over the `days` before now,
 * committed through the Ledger interface (so outages are derived as in production): batch j holds
 * transition j of every target. Transition 0 is unknown → down, then up and down alternate.
 */
export async function seedLedger(
  path: string,
  count: number,
  perTarget: number,
  days: number,
): Promise<void> {
  const ledger = openSqliteLedger(path);
  const end = Date.now() - 60_000;
  const start = end - days * 86_400_000;
  const step = (end - start) / perTarget;
  try {
    const { run } = await ledger.startRun("bench", start - 60_000);
    for (let j = 0; j < perTarget; j++) {
      const batch: NewTransition[] = [];
      for (let i = 0; i < count; i++) {
        const to: TargetState = j % 2 === 0 ? "down" : "up";
        const from: TargetState = j === 0 ? "unknown" : to === "down" ? "up" : "down";
        const at = Math.round(start + j * step + ((i * 7919) % Math.floor(step / 2)));
        batch.push({
          targetId: targetId(i),
          service: `svc-${i % 20}`,
          site: `site-${i % 50}`,
          from,
          to,
          at,
          detectedAt: at + 20_000,
          reason: to === "down" ? "status" : null,
          detail: to === "down" ? "status 503 not in 200-299" : null,
          blockedBy: null,
          maintenance: false,
          previousProbeAt: null,
        });
      }
      await ledger.commit(run.id, batch);
      if (j % 10 === 9) await ledger.heartbeat(run.id, start + (j + 1) * step);
    }
    await ledger.stopRun(run.id, end);
  } finally {
    await ledger.close();
  }
}
