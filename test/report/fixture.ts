import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TargetState } from "../../src/health/types.js";
import type { Ledger, NewTransition } from "../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";

/**
 * A small PDNS-2-shaped incident in a real SQLite ledger, written through the Ledger interface.
 * Times in minutes from T0 = 2024-06-20T00:00:00Z; the report window is [m(0), m(60)).
 *
 *   simkim-core   up m(-100), down m(10) timeout, up m(40)
 *   autogate-cgk  up m(-100), down m(15) blocked by simkim-core, up m(35)
 *   autogate-dps  up m(-100), down m(-30) refused, degraded m(50)   (outage starts before the window)
 *   portal        up m(-100), down m(55) status, still open
 *   site-gateway  up m(-100) and nothing since                       (no transition in the window)
 *   old-target    up m(-110), removed (→ unknown) m(-105)           (never judged in the window)
 *   late-target   up m(60)                                          (first judged after the window)
 *
 * Instance jakarta-1: run 1 from m(-120), last heartbeat m(20), crashed; run 2 from m(25),
 * heartbeat m(60): a restart gap [m(20), m(25)). Transitions up to m(15) belong to run 1.
 */

export const T0 = Date.UTC(2024, 5, 20);
/** Epoch ms `minutes` after T0. */
export const m = (minutes: number): number => T0 + minutes * 60_000;
export const INSTANCE = "jakarta-1";

const TARGETS: Record<string, [service: string, site: string]> = {
  "simkim-core": ["immigration-core", "pdns2"],
  "autogate-cgk": ["autogate", "cgk"],
  "autogate-dps": ["autogate", "dps"],
  portal: ["immigration-portal", "jakarta"],
  "site-gateway": ["", ""],
  "old-target": ["retired", "nowhere"],
  "late-target": ["immigration-portal", "jakarta"],
};

/**
 * A transition builder for a fixture's targets: times in minutes from T0, a timeout when down,
 * and probes every 30 s (the probe before a transition's streak started 30 s before it; none
 * before a target's first verdict).
 */
export function transitionsOf(targets: Record<string, [service: string, site: string]>) {
  return (
    targetId: string,
    from: TargetState,
    to: TargetState,
    minutes: number,
    extra: Partial<NewTransition> = {},
  ): NewTransition => {
    const [service, site] = targets[targetId] ?? ["", ""];
    return {
      targetId,
      service,
      site,
      from,
      to,
      at: m(minutes),
      detectedAt: m(minutes) + 60_000,
      reason: to === "down" ? "timeout" : null,
      detail: to === "down" ? "no answer in 10s" : null,
      blockedBy: null,
      maintenance: false,
      previousProbeAt: from === "unknown" ? null : m(minutes) - 30_000,
      ...extra,
    };
  };
}

export const transition = transitionsOf(TARGETS);

export interface IncidentLedger {
  path: string;
  /** The writable connection that filled it, still open: for tests that add to it. */
  ledger: Ledger;
  runIds: { first: number; second: number };
  cleanup(): Promise<void>;
}

export async function buildIncidentLedger(): Promise<IncidentLedger> {
  const dir = mkdtempSync(join(tmpdir(), "pantau-report-"));
  const path = join(dir, "pantau.db");
  const ledger = openSqliteLedger(path);
  const first = (await ledger.startRun(INSTANCE, m(-120))).run.id;
  await ledger.commit(first, [
    transition("old-target", "unknown", "up", -110),
    transition("old-target", "up", "unknown", -105, { reason: "removed" }),
    transition("simkim-core", "unknown", "up", -100),
    transition("autogate-cgk", "unknown", "up", -100),
    transition("autogate-dps", "unknown", "up", -100),
    transition("portal", "unknown", "up", -100),
    transition("site-gateway", "unknown", "up", -100),
  ]);
  await ledger.commit(first, [
    transition("autogate-dps", "up", "down", -30, { reason: "refused", detail: "ECONNREFUSED" }),
  ]);
  await ledger.commit(first, [transition("simkim-core", "up", "down", 10)]);
  await ledger.commit(first, [
    transition("autogate-cgk", "up", "down", 15, { blockedBy: "simkim-core" }),
  ]);
  await ledger.heartbeat(first, m(20));
  const second = (await ledger.startRun(INSTANCE, m(25))).run.id;
  await ledger.commit(second, [transition("autogate-cgk", "down", "up", 35)]);
  await ledger.commit(second, [transition("simkim-core", "down", "up", 40)]);
  await ledger.commit(second, [
    transition("autogate-dps", "down", "degraded", 50, { reason: "json", detail: "mode=manual" }),
  ]);
  await ledger.commit(second, [
    transition("portal", "up", "down", 55, { reason: "status", detail: "HTTP 503" }),
  ]);
  await ledger.commit(second, [transition("late-target", "unknown", "up", 60)]);
  await ledger.heartbeat(second, m(60));
  return {
    path,
    ledger,
    runIds: { first, second },
    cleanup: async () => {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
