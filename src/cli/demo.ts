import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import pino from "pino";
import { Daemon } from "../daemon.js";
import type { CommittedTransition } from "../engine/engine.js";
import { createLogger } from "../expose/log.js";
import {
  type BoardTransition,
  outageSummary,
  renderBoard,
  transitionLine,
} from "../expose/status-board.js";
import { readIncident } from "../ledger/figures/incident.js";
import { listOutages } from "../ledger/figures/outage-facts.js";
import { openSqliteLedger } from "../ledger/sqlite.js";
import { renderIncidentHtml } from "../report/html.js";
import { renderIncidentMarkdown } from "../report/markdown.js";
import { Estate } from "../sim/estate.js";
import { DEMO_MONITOR, renderMonitorConfig } from "../sim/monitor-config.js";
import { immigrationEstatePlan } from "../sim/plan.js";
import { ScenarioPlayer } from "../sim/player.js";
import { formatScenarioIssue, loadScenario, type Scenario } from "../sim/scenario.js";
import { formatStep } from "../sim/step-log.js";
import { systemClock, systemTimers } from "../time/clock.js";

interface DemoFlags {
  scenario: string;
  speed?: string;
  listen: string;
  dir?: string;
  simBase: string;
}

const DEFAULT_SCENARIO = "config/scenarios/pdns-2024.yaml";
/** After the last step: long enough for the slowest recovery to be decided and committed. */
const SETTLE_MS = 1500;
const REDRAW_MS = 250;

/**
 * `pantau demo` (SPEC §8): the simulated estate and a real daemon watching it, a live status
 * board, and at the end the outage summary and the post-incident report.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description("replay the June 2024 incident on a simulated estate and watch pantau judge it")
    .option("-s, --scenario <file>", "scenario to play", DEFAULT_SCENARIO)
    .option("--speed <factor>", "scenario time per real time (default: the scenario's)")
    .option(
      "--listen <addr>",
      "address for /metrics and the API while it runs",
      DEMO_MONITOR.listen,
    )
    .option("--dir <dir>", "where the ledger, logs and report go (default: a new temp dir)")
    .option("--sim-base <port>", "the simulated endpoints listen on PORT, PORT+1, …", "19400")
    .action(async (flags: DemoFlags) => {
      const speed = flags.speed === undefined ? null : Number(flags.speed);
      const problem = flagProblem(flags, speed);
      if (problem) {
        process.stderr.write(`pantau demo: ${problem}\n`);
        process.exitCode = 2;
        return;
      }
      const loaded = await loadScenario(flags.scenario, {
        endpointIds: immigrationEstatePlan().map((p) => p.id),
      });
      if (!loaded.ok) {
        for (const issue of loaded.issues) process.stderr.write(`${formatScenarioIssue(issue)}\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = await runDemo(loaded.scenario, speed ?? loaded.scenario.speed, flags);
    });
}

function flagProblem(flags: DemoFlags, speed: number | null): string | null {
  if (speed !== null && !(Number.isFinite(speed) && speed > 0)) {
    return `--speed: "${flags.speed}" is not a number greater than 0`;
  }
  const base = Number(flags.simBase);
  if (!/^\d+$/.test(flags.simBase) || base < 1 || base + immigrationEstatePlan().length > 65_536) {
    return `--sim-base: "${flags.simBase}" is not a port with room for the estate after it`;
  }
  return null;
}

async function runDemo(scenario: Scenario, speed: number, flags: DemoFlags): Promise<number> {
  const dir = resolve(flags.dir ?? mkdtempSync(join(tmpdir(), "pantau-demo-")));
  mkdirSync(dir, { recursive: true });
  // Fixed ports: a `refused` endpoint's port must still be free when it comes back.
  let estate: Estate;
  try {
    estate = await Estate.start({ plan: immigrationEstatePlan(), basePort: Number(flags.simBase) });
  } catch (error) {
    process.stderr.write(`pantau demo: ${error instanceof Error ? error.message : error}\n`);
    return 1;
  }
  const configFile = join(dir, "demo.yaml");
  const settings = { ...DEMO_MONITOR, storagePath: join(dir, "demo.db"), listen: flags.listen };
  writeFileSync(configFile, renderMonitorConfig(estate.served(), settings));
  const logFile = join(dir, "pantau.log");
  const logger = createLogger({
    pretty: false,
    destination: pino.destination({ dest: logFile, sync: true }),
  });
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ configFile, logger });
  } catch (error) {
    await estate.close();
    process.stderr.write(`pantau demo: ${error instanceof Error ? error.message : error}\n`);
    return 1;
  }
  const board = new DemoBoard(daemon, scenario, speed);
  const address = daemon.httpAddress;
  process.stdout.write(
    `pantau demo: ${scenario.name} at ×${speed}; metrics and API on http://${address?.host}:${address?.port}/; ledger ${settings.storagePath}\n`,
  );
  const outcome = await play(estate, scenario, speed, board);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  board.stop();
  const origin = board.origin;
  await daemon.stop();
  await estate.close();
  await summarize(dir, settings.storagePath, origin, speed, logFile);
  return outcome === "failed" ? 1 : 0;
}

/** Plays the scenario; Ctrl-C ends it early, and the summary still comes. */
function play(estate: Estate, scenario: Scenario, speed: number, board: DemoBoard) {
  const player = new ScenarioPlayer({
    steps: scenario.steps,
    speed,
    clock: systemClock,
    timers: systemTimers,
    apply: (step) => estate.applyStep(step),
  });
  player.on((event) => {
    if (event.type === "step") board.note(formatStep(event.step));
  });
  const stop = () => player.stop();
  process.once("SIGINT", stop).once("SIGTERM", stop);
  board.start();
  return player.play().finally(() => process.off("SIGINT", stop).off("SIGTERM", stop));
}

/** The live board on a TTY; elsewhere (CI, pipes) one line per step and per transition. */
class DemoBoard {
  readonly origin = Date.now();
  private readonly transitions: BoardTransition[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly tty = process.stdout.isTTY === true;

  constructor(
    private readonly daemon: Daemon,
    private readonly scenario: Scenario,
    private readonly speed: number,
  ) {
    daemon.engine.subscribe({ transitionsCommitted: (ts) => this.committed(ts) });
  }

  start(): void {
    if (this.tty) this.timer = setInterval(() => this.draw(), REDRAW_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.draw();
  }

  note(text: string): void {
    if (!this.tty) process.stdout.write(`step  ${text}\n`);
  }

  private committed(ts: readonly CommittedTransition[]): void {
    for (const t of ts) {
      const outageSeconds = t.outageStart === null ? null : (t.at - t.outageStart) / 1000;
      const entry = {
        at: t.at,
        targetId: t.targetId,
        from: t.from,
        to: t.to,
        reason: t.reason,
        outageSeconds,
      };
      this.transitions.push(entry);
      if (this.tty) continue;
      const blocked = t.to === "down" && t.blockedBy ? ` (blocked by ${t.blockedBy})` : "";
      const scale = { origin: this.origin, timeScale: this.speed };
      process.stdout.write(`event ${transitionLine(entry, scale)}${blocked}\n`);
    }
  }

  private draw(): void {
    const engine = this.daemon.engine;
    const rows = this.daemon.currentConfig.targets.map((target) => {
      const committed = engine.committedState(target.id);
      return {
        id: target.id,
        service: target.service,
        site: target.site,
        state: committed?.state ?? "unknown",
        since: committed?.since ?? null,
        blockedBy: committed?.blockedBy ?? null,
        maintenance: engine.inMaintenance(target.id),
      } as const;
    });
    const text = renderBoard({
      title: `pantau demo — ${this.scenario.name} at ×${this.speed}`,
      rows,
      transitions: this.transitions,
      now: Date.now(),
      timeScale: this.speed,
      origin: this.origin,
      colour: true,
    });
    process.stdout.write(`\x1b[H\x1b[2J${text}`);
  }
}

/** The outage table and the report, from the ledger the run wrote. */
async function summarize(
  dir: string,
  db: string,
  origin: number,
  speed: number,
  logFile: string,
): Promise<void> {
  const ledger = openSqliteLedger(db, { readonly: true });
  try {
    const now = Date.now();
    const range = { since: origin - 60_000, until: now };
    const outages = await listOutages(ledger, range, now);
    const scale = { origin, timeScale: speed, now };
    process.stdout.write(
      `\noutages, in scenario time (×${speed}):\n${outageSummary(outages, scale)}`,
    );
    const incident = await readIncident(ledger, range, now, null);
    await writeFile(join(dir, "report.html"), renderIncidentHtml(incident));
    await writeFile(join(dir, "report.md"), renderIncidentMarkdown(incident));
    process.stdout.write(
      `\nreport: ${join(dir, "report.html")} (and report.md); ledger: ${db}; logs: ${logFile}\n`,
    );
  } finally {
    await ledger.close();
  }
}
