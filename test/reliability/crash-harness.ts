import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { type Farm, startFarm } from "../bench/farm.js";
import { type FlapSchedule, seededRandom } from "../bench/farm-flap.js";
import { buildPantau, CLI, targetId } from "../bench/pantau.js";
import { DaemonProcess, type LogLine } from "../support/daemon-process.js";
import { until } from "../support/until.js";
import {
  type Audit,
  auditLedger,
  type LedgerContents,
  type Life,
  type LoggedTransition,
} from "./ledger-audit.js";

/**
 * The crash harness: `targets` farm targets flap on a seeded schedule while the real
 * CLI daemon is SIGKILLed `kills` times at seeded random moments and restarted; a last run sees
 * every target recover and stops cleanly. Then the ledger is audited against what was logged.
 */
export interface CrashOptions {
  seed: number;
  kills: number;
  targets: number;
  /** Each killed run lives this long after its start line (uniform, seeded). */
  lifeMs: { min: number; max: number };
  log?: (line: string) => void;
}

export interface CrashResult {
  audit: Audit;
  lives: Life[];
  finalExit: number | null;
}

const INSTANCE = "crash-harness";
const HEARTBEAT_MS = 200;
/**
 * A killed run's last heartbeat may be this much older than its last decision: one is due every
 * 200 ms and both run on the same event loop, but a process descheduled on a loaded machine in
 * the middle of a burst of results decides on without a heartbeat in between.
 */
const HEARTBEAT_SLACK_MS = 2500;

/** `CRASH_SEED` replays a run; otherwise a random seed (printed by the test). */
export function crashSeed(text: string | undefined, random: () => number = Math.random): number {
  if (text === undefined || text === "") return Math.floor(random() * 1_000_000);
  const seed = Number(text);
  if (Number.isInteger(seed) && seed >= 0) return seed;
  throw new Error(`CRASH_SEED="${text}" is not a non-negative integer`);
}

export const crashFlap = (seed: number): FlapSchedule => ({
  seed,
  minMs: 2000,
  maxMs: 6000,
  upShare: 0.5,
  failures: ["fail", "reset"],
});

function writeConfig(dir: string, farm: Farm, count: number): { config: string; db: string } {
  const db = join(dir, "ledger.db");
  const config = join(dir, "pantau.yaml");
  const body = {
    // short intervals and low thresholds: each target moves every few seconds
    global: {
      interval: "1s",
      timeout: "500ms",
      failure_threshold: 2,
      success_threshold: 1,
      instance: INSTANCE,
    },
    storage: { path: db, heartbeat: `${HEARTBEAT_MS}ms` },
    targets: Array.from({ length: count }, (_, i) => ({
      id: targetId(i),
      service: `svc-${i % 10}`,
      site: `site-${i % 25}`,
      http: { url: farm.url(i) },
    })),
  };
  writeFileSync(config, stringify(body, { lineWidth: 0 }));
  return { config, db };
}

function loggedTransitions(lines: readonly LogLine[]): LoggedTransition[] {
  return lines
    .filter((l) => l.event === "transition")
    .map((l) => ({
      target: String(l.target),
      from: String(l.from),
      to: String(l.to),
      at: Date.parse(String(l.at)),
      outageStartedAt:
        typeof l.outage_started_at === "string" ? Date.parse(l.outage_started_at) : null,
    }));
}

// real time: a crash test kills the daemon after a real life span
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Started {
  daemon: DaemonProcess;
  runId: number;
  startMs: number;
}

/** The compiled CLI (built once per process from src/): starts in a fraction of tsx's time. */
async function startLife(args: string[]): Promise<Started> {
  const began = performance.now();
  const daemon = new DaemonProcess(args, { main: CLI });
  const start = await daemon.waitFor((l) => l.event === "start", 60_000);
  return { daemon, runId: Number(start.run), startMs: performance.now() - began };
}

/** Polls the ledger (read-only, beside the writer) until no outage is open. */
async function waitAllRecovered(db: string, limitMs: number): Promise<void> {
  const ledger = openSqliteLedger(db, { readonly: true });
  try {
    await until(
      async () => (await ledger.outages({ instance: INSTANCE, open: true })).length === 0,
      {
        what: "every outage to close after every target answered ok",
        timeoutMs: limitMs,
        intervalMs: 250,
      },
    );
  } finally {
    await ledger.close();
  }
}

async function readLedger(db: string): Promise<LedgerContents> {
  const ledger = openSqliteLedger(db, { readonly: true });
  try {
    const transitions = await ledger.transitions({ instance: INSTANCE });
    return {
      runs: await ledger.runs({ instance: INSTANCE }),
      gaps: await ledger.gaps({ instance: INSTANCE }),
      transitions: transitions.sort((a, b) => a.id - b.id),
      outages: await ledger.outages({ instance: INSTANCE }),
    };
  } finally {
    await ledger.close();
  }
}

export async function runCrashHarness(options: CrashOptions): Promise<CrashResult> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  buildPantau();
  const dir = mkdtempSync(join(tmpdir(), "pantau-crash-harness-"));
  const farm = await startFarm(options.targets);
  const running: DaemonProcess[] = [];
  try {
    await farm.setFlap(crashFlap(options.seed));
    await farm.set("flap", 0, options.targets);
    const { config, db } = writeConfig(dir, farm, options.targets);
    const args = ["run", "--config", config, "--listen", "none"];
    const lives: Life[] = [];
    for (let kill = 0; kill < options.kills; kill++) {
      const { daemon, runId, startMs } = await startLife(args);
      running.push(daemon);
      const { min, max } = options.lifeMs;
      const lifeMs = min + random() * (max - min);
      await sleep(lifeMs);
      const killedAt = Date.now();
      daemon.signal("SIGKILL");
      await daemon.exited();
      running.pop();
      const logged = loggedTransitions(daemon.lines);
      lives.push({ runId, killedAt, logged });
      log(
        `kill ${kill + 1}/${options.kills}: run ${runId} started in ${Math.round(startMs)} ms, killed ${Math.round(lifeMs)} ms later, ${logged.length} transitions logged`,
      );
    }
    const { daemon, runId } = await startLife(args);
    running.push(daemon);
    await farm.set("ok", 0, options.targets);
    await waitAllRecovered(db, 30_000);
    daemon.signal("SIGTERM");
    const { code } = await daemon.exited();
    running.pop();
    lives.push({ runId, killedAt: null, logged: loggedTransitions(daemon.lines) });
    const audit = auditLedger(lives, await readLedger(db), {
      heartbeatSlackMs: HEARTBEAT_SLACK_MS,
    });
    return { audit, lives, finalExit: code };
  } finally {
    for (const daemon of running) {
      daemon.signal("SIGKILL");
      await daemon.exited();
    }
    await farm.close();
    if (process.env.CRASH_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
    else log(`ledger kept in ${dir}`);
  }
}
