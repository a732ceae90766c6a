import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { seededRandom } from "../support/attribution-sim.js";
import { startReceiver } from "../support/servers/receiver.js";
import { sleep } from "./env.js";
import { type Farm, startFarm } from "./farm.js";
import type { FarmMode } from "./farm-server.js";
import { type Daemon, freePort, startDaemon, workDir } from "./pantau.js";

/**
 * A data centre going dark, live: `estates` independent estates of a core and its dependants
 * (real loopback endpoints in the bench farm, a real daemon, pantau's own Alertmanager push
 * into a recording receiver). Each round every estate fails at a seeded moment within one
 * interval, in a seeded way (503, reset, hang) — the core with its dependants, or the
 * dependants alone — then everything comes back. Probes fall in whatever order their phases
 * give. Shared by the bench (a table) and the end-to-end test (with Prometheus and the rules).
 */

export const INTERVAL_MS = 2000;
export const TIMEOUT_MS = 1000;
export const THRESHOLD = 2;
/** The documented bound of a page's wait: failure_threshold × interval + timeout + 1 s. */
export const HOLD_BOUND_MS = THRESHOLD * INTERVAL_MS + TIMEOUT_MS + 1000;
const FAILURE_MODES: readonly FarmMode[] = ["fail", "reset", "hang"];

export const coreId = (estate: number) => `core-${String(estate).padStart(2, "0")}`;
export const dependantId = (estate: number, k: number) =>
  `gate-${String(estate).padStart(2, "0")}-${String(k).padStart(2, "0")}`;

export interface PushedAlert {
  target: string;
  severity: string;
  blockedBy: string | null;
  startsAt: number;
  postedAt: number;
}

export interface RoundResult {
  round: number;
  seed: number;
  withCore: boolean;
  /** Per estate: when its endpoints switched (farm clock), and how. */
  failures: { estate: number; at: number; mode: FarmMode }[];
  /** Targets pushed with severity page during the round, each once. */
  paged: Set<string>;
  /** Dependants whose API state at the end of the verdict window was down and blocked by their core. */
  blocked: number;
  /** Dependants down at the end of the verdict window. */
  down: number;
  /** Per paged dependant: its page's post time − its →down's detected_at, and − (first failed probe + bound). */
  pageDelays: { target: string; afterDetectionMs: number; afterBoundMs: number }[];
}

export interface LiveEstate {
  daemon: Daemon;
  farm: Farm;
  port: number;
  configFile: string;
  targetCount: number;
  alerts: PushedAlert[];
  round(round: number, seed: number, withCore: boolean): Promise<RoundResult>;
  close(): Promise<void>;
}

export async function startLiveEstate(options: {
  estates: number;
  dependants: number;
  name: string;
}): Promise<LiveEstate> {
  const { estates, dependants } = options;
  const per = dependants + 1;
  const farm = await startFarm(estates * per);
  const alerts: PushedAlert[] = [];
  const receiver = await startReceiver((_path, body) => {
    const postedAt = Date.now();
    for (const alert of JSON.parse(body) as {
      labels: Record<string, string>;
      startsAt: string;
      endsAt: string;
    }[]) {
      if (Date.parse(alert.endsAt) <= postedAt) continue;
      alerts.push({
        target: alert.labels.target ?? "",
        severity: alert.labels.severity ?? "",
        blockedBy: alert.labels.blocked_by ?? null,
        startsAt: Date.parse(alert.startsAt),
        postedAt,
      });
    }
  });
  const port = await freePort();
  const dir = workDir(options.name);
  const targets = [];
  for (let e = 0; e < estates; e++) {
    // one service per estate: ten cores down at once would rightly page as a whole service
    targets.push({
      id: coreId(e),
      service: `core-${e}`,
      site: `dc-${e}`,
      http: { url: farm.url(e * per) },
    });
    for (let k = 1; k <= dependants; k++) {
      targets.push({
        id: dependantId(e, k),
        service: `autogate-${e}`,
        site: `airport-${k}`,
        depends_on: [coreId(e)],
        http: { url: farm.url(e * per + k) },
      });
    }
  }
  const config = {
    global: {
      interval: `${INTERVAL_MS}ms`,
      timeout: `${TIMEOUT_MS}ms`,
      failure_threshold: THRESHOLD,
      success_threshold: 2,
      instance: options.name,
    },
    server: { listen: `127.0.0.1:${port}` },
    storage: { path: join(dir, "ledger.db") },
    alertmanager: { url: receiver.url, resend: "1m" },
    targets,
  };
  const configFile = join(dir, "pantau.yaml");
  writeFileSync(configFile, stringify(config, { lineWidth: 0 }));
  const daemon = await startDaemon(configFile, port);
  const api = `http://127.0.0.1:${port}/api/v1/targets`;
  type ApiTarget = { id: string; state: string; blocked_by: string | null };
  const states = async () =>
    ((await (await fetch(api)).json()) as { targets: ApiTarget[] }).targets;
  const allUp = async (limitMs: number) => {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      if ((await states()).every((t) => t.state === "up")) return;
      await sleep(200);
    }
    throw new Error("the estate did not come back up");
  };

  const round = async (index: number, seed: number, withCore: boolean): Promise<RoundResult> => {
    await allUp(30_000);
    const random = seededRandom(seed);
    const plan = Array.from({ length: estates }, (_, estate) => ({
      estate,
      delay: Math.floor(random() * INTERVAL_MS),
      mode: FAILURE_MODES[Math.floor(random() * FAILURE_MODES.length)] as FarmMode,
    })).sort((a, b) => a.delay - b.delay);
    const began = Date.now();
    const failures: RoundResult["failures"] = [];
    for (const { estate, delay, mode } of plan) {
      await sleep(Math.max(0, began + delay - Date.now()));
      const from = estate * per + (withCore ? 0 : 1);
      failures.push({ estate, mode, at: await farm.set(mode, from, (estate + 1) * per) });
    }
    // every verdict and every hold's bound is in well within this
    await sleep(INTERVAL_MS + THRESHOLD * INTERVAL_MS + TIMEOUT_MS + HOLD_BOUND_MS + 2000);
    const final = await states();
    const mine = alerts.filter((a) => a.postedAt >= began);
    const paged = new Set(mine.filter((a) => a.severity === "critical").map((a) => a.target));
    const dependantsDown = final.filter((t) => t.id.startsWith("gate-") && t.state === "down");
    const pageDelays = [];
    for (const target of [...paged].filter((id) => id.startsWith("gate-"))) {
      const page = mine.find((a) => a.target === target && a.severity === "critical");
      const down = daemon.transitions.find(
        (t) => t.target === target && t.to === "down" && t.at >= began - INTERVAL_MS,
      );
      if (page === undefined || down === undefined) continue;
      pageDelays.push({
        target,
        afterDetectionMs: page.postedAt - down.detectedAt,
        afterBoundMs: page.postedAt - (down.at + HOLD_BOUND_MS),
      });
    }
    await farm.set("ok", 0, estates * per);
    return {
      round: index,
      seed,
      withCore,
      failures,
      paged,
      down: dependantsDown.length,
      blocked: dependantsDown.filter((t) => t.blocked_by === `core-${t.id.slice(5, 7)}`).length,
      pageDelays,
    };
  };

  return {
    daemon,
    farm,
    port,
    configFile,
    targetCount: estates * per,
    alerts,
    round,
    close: async () => {
      await daemon.stop();
      await farm.close();
      await receiver.close();
    },
  };
}
