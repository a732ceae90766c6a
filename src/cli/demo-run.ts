import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { Daemon } from "../daemon/daemon.js";
import { formatDuration } from "../fields/units.js";
import { readIncident } from "../ledger/figures/incident.js";
import { listOutages } from "../ledger/figures/outage-facts.js";
import { openSqliteLedger } from "../ledger/sqlite.js";
import { createLogger } from "../log/logger.js";
import { renderIncidentHtml } from "../report/html.js";
import { renderIncidentMarkdown } from "../report/markdown.js";
import type { SchedulerObserver } from "../schedule/scheduler.js";
import { Estate } from "../sim/estate.js";
import { renderMonitorConfig, SCENARIO_MONITOR } from "../sim/monitor-config.js";
import { type PaceChange, pacePlan, playTimeMs } from "../sim/pace.js";
import { immigrationEstatePlan } from "../sim/plan.js";
import { type PlayOutcome, ScenarioPlayer } from "../sim/player.js";
import type { Scenario, ScenarioStep } from "../sim/scenario.js";
import { formatStep } from "../sim/step-log.js";
import { type Clock, systemClock, systemTimers, type Timers } from "../time/clock.js";
import { ScaledClock } from "../time/scaled-clock.js";
import { DemoBoard, type DemoOutput } from "./demo-board.js";
import { ProbesOnTheirWay } from "./demo-probes.js";
import { degradedSpells, degradedSummary, outageSummary } from "./demo-summary.js";

export interface DemoOptions {
  /** Scenario time per real time on average: the run lasts the scenario's length / speed. */
  speed: number;
  listen: string;
  /** Where the ledger, the monitor config, the log and the report go. */
  dir: string;
  /** The i-th endpoint listens on simBase + i; 0: ephemeral ports. */
  simBase: number;
  out: DemoOutput;
  /** Ends the play early; the summary still comes. */
  signal?: AbortSignal;
  /** The real time under the scenario's clock (tests); the system's by default. */
  underlying?: { clock: Clock; timers: Timers };
}

/**
 * The pace: an eventful stretch runs from one probe interval before a step to half an hour
 * after it (the monitor has judged it by then: two probes, a timeout, the commit); a quiet
 * stretch plays at least three times faster, a long one in 3 s at most.
 */
export const PACE = {
  quietFactor: 3,
  maxQuietMs: 3000,
  leadMs: 10 * 60_000,
  followMs: 30 * 60_000,
};
/**
 * Scenario time the clock may catch up after a late timer: less than the gap between two probe
 * slots of the estate and far less than a probe's timeout, so a stall of the machine never
 * brings a deadline before the probe had its time.
 */
const MAX_CATCH_UP_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Real time a step waits at most for probes on their way (a loopback request takes ~1 ms). */
const SETTLE_BOUND_MS = 2000;

/**
 * Plays `scenario` against the simulated estate with a real daemon watching it, then prints the
 * summary and writes the report; resolves to the exit code.
 *
 * Time: the daemon, the estate and the player all run on one ScaledClock whose wall time is the
 * scenario's (from its `start`). Scaling the clock rather than converting the ledger afterwards
 * keeps every recorded time exact in scenario time — a probe starts exactly on its slot and a
 * step switches the estate in one held instant (see ScaledClock) — and lets the pace change
 * mid-run without bending what was recorded.
 */
export async function runDemo(scenario: Scenario, options: DemoOptions): Promise<number> {
  const { out } = options;
  mkdirSync(options.dir, { recursive: true });
  const startAt = scenario.startAt ?? Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const underlying = options.underlying ?? { clock: systemClock, timers: systemTimers };
  // stands still until the play starts, so the daemon's first slots are planned from the start
  const clock = new ScaledClock({ ...underlying, startAt, rate: 0, maxCatchUpMs: MAX_CATCH_UP_MS });
  const probes = new ProbesOnTheirWay(underlying.timers);
  let estate: Estate;
  let watch: Watch;
  try {
    estate = await Estate.start({
      plan: immigrationEstatePlan(),
      basePort: options.simBase,
      timers: clock.timers,
      onRequest: (id) => probes.arrived(id),
    });
  } catch (error) {
    out.error(`pantau demo: ${messageOf(error)}\n`);
    return 1;
  }
  try {
    watch = await startWatching(estate, clock, probes, options);
  } catch (error) {
    await estate.close();
    out.error(`pantau demo: ${messageOf(error)}\n`);
    return 1;
  }
  const { daemon, db } = watch;
  const endMs = scenario.steps.at(-1)?.atMs ?? 0;
  const pace = pacePlan(
    scenario.steps.map((s) => s.atMs),
    endMs,
    { speed: options.speed, ...PACE },
  );
  const board = new DemoBoard(daemon, clock, startAt, title(scenario, pace), out);
  const address = daemon.httpAddress;
  out.write(
    `pantau demo: ${scenario.name}, scenario time from ${new Date(startAt).toISOString()}; ${paceText(pace, endMs)}; metrics and API on http://${address?.host}:${address?.port}/; ledger ${db}\n`,
  );
  const world = {
    applyStep: async (step: ScenarioStep) => {
      await probes.settled(SETTLE_BOUND_MS);
      await estate.applyStep(step);
    },
  };
  const outcome = await play(clock, world, scenario, pace, board, options.signal);
  board.stop();
  // the clock keeps running while the daemon stops: probes in flight end on its timers
  await daemon.stop();
  clock.setRate(0);
  await estate.close();
  await summarize(options.dir, db, startAt, out, watch.logFile);
  return outcome === "failed" ? 1 : 0;
}

interface Watch {
  daemon: Daemon;
  db: string;
  logFile: string;
}

/** The daemon watching the estate, on the scenario's clock, with a fresh ledger in the dir. */
async function startWatching(
  estate: Estate,
  clock: ScaledClock,
  probes: ProbesOnTheirWay,
  options: DemoOptions,
): Promise<Watch> {
  const db = join(options.dir, "demo.db");
  // the ledger holds one run of one scenario: a previous demo's times would overlap this one's
  for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
  const configFile = join(options.dir, "demo.yaml");
  const settings = { ...SCENARIO_MONITOR, storagePath: db, listen: options.listen };
  writeFileSync(configFile, renderMonitorConfig(estate.served(), settings));
  const logFile = join(options.dir, "pantau.log");
  const logger = createLogger({
    pretty: false,
    destination: pino.destination({ dest: logFile, sync: true }),
  });
  // the daemon's own observer (its metrics) is known once it has started; no probe runs before
  let metrics: SchedulerObserver | null = null;
  const schedulerObserver: SchedulerObserver = {
    probeStarted: (id, lagMs) => {
      probes.started(id);
      metrics?.probeStarted?.(id, lagMs);
    },
    slotSkipped: (id, cause) => metrics?.slotSkipped?.(id, cause),
    inFlightChanged: (count) => metrics?.inFlightChanged?.(count),
  };
  const timers = clock.timers;
  const daemon = await Daemon.start({ configFile, logger, clock, timers, schedulerObserver });
  metrics = daemon.metrics.schedulerObserver;
  daemon.engine.subscribe((event) => {
    if (event.kind === "probed") probes.arrived(event.target.id);
  });
  return { daemon, db, logFile };
}

/**
 * The scenario on its own clock: steps are due at their offsets as written, and each is applied
 * while the clock holds, so no probe starts while the estate is switching and none sees half a
 * step.
 */
export function demoPlayer(
  clock: ScaledClock,
  steps: readonly ScenarioStep[],
  world: { applyStep(step: ScenarioStep): Promise<void> },
): ScenarioPlayer {
  return new ScenarioPlayer({
    steps,
    speed: 1,
    clock,
    timers: clock.timers,
    apply: (step) => clock.hold(() => world.applyStep(step)),
  });
}

function play(
  clock: ScaledClock,
  world: { applyStep(step: ScenarioStep): Promise<void> },
  scenario: Scenario,
  pace: readonly PaceChange[],
  board: DemoBoard,
  signal: AbortSignal | undefined,
): Promise<PlayOutcome> {
  const player = demoPlayer(clock, scenario.steps, world);
  player.on((event) => {
    if (event.type === "step") board.step(formatStep(event.step), event.step.note, event.step.atMs);
  });
  for (const change of pace.slice(1)) {
    clock.timers.setTimeout(() => clock.setRate(change.speed), change.atMs);
  }
  const stop = () => player.stop();
  signal?.addEventListener("abort", stop, { once: true });
  const played = player.play();
  clock.setRate(pace[0]?.speed ?? 1);
  board.start();
  return played.finally(() => signal?.removeEventListener("abort", stop));
}

/** `×829` while something happens; `×2488` or `×2488–×45400` in quiet stretches (if any). */
function speedsText(pace: readonly PaceChange[]): { eventful: string; quiet: string | null } {
  const eventful = pace[0]?.speed ?? 1;
  const quiet = pace.filter((c) => c.speed !== eventful).map((c) => Math.round(c.speed));
  const [low, high] = [Math.min(...quiet), Math.max(...quiet)];
  const range = low === high ? `×${low}` : `×${low}–×${high}`;
  return { eventful: `×${Math.round(eventful)}`, quiet: quiet.length === 0 ? null : range };
}

function title(scenario: Scenario, pace: readonly PaceChange[]): string {
  const { eventful, quiet } = speedsText(pace);
  const rates = quiet === null ? eventful : `${eventful}, quiet stretches ${quiet}`;
  return `pantau demo — ${scenario.name} at ${rates}`;
}

/** `×829 while something happens, ×2488–×45400 in quiet stretches: 1m29s`. */
function paceText(pace: readonly PaceChange[], endMs: number): string {
  const { eventful, quiet } = speedsText(pace);
  const rates =
    quiet === null ? eventful : `${eventful} while something happens, ${quiet} in quiet stretches`;
  return `${rates}: ${formatDuration(Math.round(playTimeMs(pace, endMs) / 1000) * 1000)}`;
}

/** The outage and degraded tables and the report, from the ledger the run wrote. */
async function summarize(
  dir: string,
  db: string,
  origin: number,
  out: DemoOutput,
  logFile: string,
): Promise<void> {
  const ledger = openSqliteLedger(db, { readonly: true });
  try {
    const runs = await ledger.runs({});
    // the window ends where the daemon stopped: nothing after it was watched
    const until = Math.max(origin, ...runs.map((r) => r.stoppedAt ?? r.lastHeartbeat));
    const range = { since: origin, until };
    const clock = { origin, now: until };
    const outages = await listOutages(ledger, range, until);
    out.write(`\noutages, in scenario time:\n${outageSummary(outages, clock)}`);
    const transitions = await ledger.transitions({ ...range, limit: 1_000_000 });
    const spells = degradedSpells(transitions);
    out.write(
      `\ndegraded (an airport in manual mode, a slow service), in scenario time:\n${degradedSummary(spells, clock)}`,
    );
    const incident = await readIncident(ledger, range, until, null);
    await writeFile(join(dir, "report.html"), renderIncidentHtml(incident));
    await writeFile(join(dir, "report.md"), renderIncidentMarkdown(incident));
    out.write(
      `\nreport: ${join(dir, "report.html")} (and report.md); ledger: ${db}; logs: ${logFile}\n`,
    );
  } finally {
    await ledger.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
