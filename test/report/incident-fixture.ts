import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MaintenanceWindow } from "../../src/config/types.js";
import type { Ledger } from "../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { m, T0, transitionsOf } from "./fixture.js";

/**
 * The 20 June 2024 shape in a real SQLite ledger, written through the Ledger interface: the
 * national data centre's core fails, its dependants fail with it (blocked), passport control
 * falls back to manual (degraded), CGK's autogates come back first, DPS's only after the core
 * (and then on their own for an hour). Times in minutes from T0 = 2024-06-20T00:00:00Z; the
 * report window is [m(0), m(720)) and now is m(720).
 *
 *   simkim-core   down m(60) timeout .................................. up m(420)
 *   portal        down m(61) blocked by simkim-core ................... up m(420); down m(700), open
 *   autogate-cgk  down m(62) blocked by simkim-core ..... up m(300)
 *   autogate-dps  down m(63) blocked by simkim-core ... own from m(420) ... up m(480)
 *   passport-cgk  degraded m(65) (manual) ............... up m(310)
 *   passport-dps  degraded m(66) (manual) .............................. up m(500)
 *   eoffice       down m(600) in maintenance window eoffice-patching (10:00, 45m), up m(630)
 *   visa-api      up throughout
 *
 * Instance jakarta-1: run 1 from m(-120), blind gap [m(120), m(135)) (every canary failed),
 * last heartbeat m(200), crashed; run 2 from m(215): a restart gap [m(200), m(215)).
 */

export { m, T0 };
export const INSTANCE = "jakarta-1";
export const NOW = m(720);
export const WINDOW = { since: m(0), until: m(720) };

const TARGETS: Record<string, [service: string, site: string]> = {
  "simkim-core": ["immigration-core", "pdns2"],
  portal: ["immigration-portal", "jakarta"],
  "visa-api": ["immigration-portal", "jakarta"],
  "autogate-cgk": ["autogate", "cgk"],
  "autogate-dps": ["autogate", "dps"],
  "passport-cgk": ["passport-control", "cgk"],
  "passport-dps": ["passport-control", "dps"],
  eoffice: ["back-office", "jakarta"],
};

export const TARGET_COUNT = Object.keys(TARGETS).length;

/** The config's maintenance windows: back-office patching daily at 10:00 UTC for 45 minutes. */
export const MAINTENANCE_WINDOWS: MaintenanceWindow[] = [
  {
    name: "eoffice-patching",
    targets: [],
    services: ["back-office"],
    sites: [],
    cron: "0 10 * * *",
    timezone: null,
    duration: 45 * 60_000,
  },
];

const transition = transitionsOf(TARGETS);

const BLOCKED = { blockedBy: "simkim-core" };
const MANUAL = { reason: "json", detail: "$.mode is manual" };
const OFFLINE = "$.status is offline";
const REFUSED = "ECONNREFUSED";

export interface IncidentLedger {
  path: string;
  ledger: Ledger;
  cleanup(): Promise<void>;
}

export async function buildIncidentLedger(): Promise<IncidentLedger> {
  const dir = mkdtempSync(join(tmpdir(), "pantau-incident-"));
  const path = join(dir, "pantau.db");
  const ledger = openSqliteLedger(path);
  const first = (await ledger.startRun(INSTANCE, m(-120))).run.id;
  await ledger.commit(
    first,
    Object.keys(TARGETS).map((id) => transition(id, "unknown", "up", -100)),
  );
  await ledger.commit(first, [transition("simkim-core", "up", "down", 60)]);
  await ledger.commit(first, [
    transition("portal", "up", "down", 61, { ...BLOCKED, reason: "status", detail: "HTTP 503" }),
    transition("autogate-cgk", "up", "down", 62, { ...BLOCKED, reason: "json", detail: OFFLINE }),
    transition("autogate-dps", "up", "down", 63, {
      ...BLOCKED,
      reason: "refused",
      detail: REFUSED,
    }),
  ]);
  await ledger.commit(first, [
    transition("passport-cgk", "up", "degraded", 65, MANUAL),
    transition("passport-dps", "up", "degraded", 66, MANUAL),
  ]);
  const blind = await ledger.openGap({
    instance: INSTANCE,
    kind: "blind",
    start: m(120),
    end: null,
  });
  await ledger.closeGap(blind, m(135));
  await ledger.heartbeat(first, m(200));
  const second = (await ledger.startRun(INSTANCE, m(215))).run.id;
  await ledger.commit(second, [transition("autogate-cgk", "down", "up", 300)]);
  await ledger.commit(second, [transition("passport-cgk", "degraded", "up", 310)]);
  await ledger.commit(
    second,
    [transition("simkim-core", "down", "up", 420), transition("portal", "down", "up", 420)],
    [{ targetId: "autogate-dps", at: m(420), blockedBy: null }],
  );
  await ledger.commit(second, [transition("autogate-dps", "down", "up", 480)]);
  await ledger.commit(second, [transition("passport-dps", "degraded", "up", 500)]);
  await ledger.commit(second, [transition("eoffice", "up", "down", 600, { maintenance: true })]);
  await ledger.commit(second, [transition("eoffice", "down", "up", 630, { maintenance: true })]);
  await ledger.commit(second, [
    transition("portal", "up", "down", 700, { reason: "status", detail: "HTTP 502" }),
  ]);
  await ledger.heartbeat(second, m(720));
  return {
    path,
    ledger,
    cleanup: async () => {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
