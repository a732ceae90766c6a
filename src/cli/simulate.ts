import { writeFile } from "node:fs/promises";
import { Command } from "commander";
import { Estate } from "../sim/estate.js";
import { renderMonitorConfig } from "../sim/monitor-config.js";
import { type EndpointPlan, genericPlan, immigrationEstatePlan } from "../sim/plan.js";
import { type PlayOutcome, ScenarioPlayer } from "../sim/player.js";
import { formatScenarioIssue, loadScenario, type Scenario } from "../sim/scenario.js";
import { formatScenarioStart, formatStep } from "../sim/step-log.js";
import { systemClock, systemTimers } from "../time/clock.js";
import { scenarioFile } from "./scenario-file.js";

interface SimulateFlags {
  scenario?: string;
  speed?: string;
  targets?: string;
  listenBase?: string;
  configOut?: string;
}

interface SimulateOptions {
  plan: EndpointPlan[];
  basePort: number;
  speed: number | null;
  scenarioFile: string | null;
  configOut: string | null;
}

export const MAX_SIM_TARGETS = 20_000;

export function simulateCommand(): Command {
  return new Command("simulate")
    .description("serve the simulated immigration estate (or N endpoints) and play a scenario")
    .option(
      "-s, --scenario <file>",
      "scenario to play: a file, or a shipped one by name (pdns-2024); without one, serve until stopped",
    )
    .option("--speed <factor>", "scenario time per real time (default: the scenario's speed)")
    .option("--targets <n>", "serve N generic endpoints (gen-0000 …) instead of the estate")
    .option("--listen-base <port>", "the i-th endpoint listens on PORT+i (default: ephemeral)")
    .option("--config-out <file>", "write a pantau config monitoring what is served")
    .action(async (flags: SimulateFlags) => {
      const options = parseFlags(flags);
      if (typeof options === "string") {
        process.stderr.write(`pantau simulate: ${options}\n`);
        process.exitCode = 2;
        return;
      }
      process.exitCode = await simulate(options);
    });
}

/** The options, or what is wrong with the flags (a usage error). */
export function parseFlags(flags: SimulateFlags): SimulateOptions | string {
  const count = flags.targets === undefined ? null : wholeNumber(flags.targets, 1, MAX_SIM_TARGETS);
  if (count === undefined) {
    return `--targets: "${flags.targets}" is not a whole number from 1 to ${MAX_SIM_TARGETS}`;
  }
  const basePort = flags.listenBase === undefined ? 0 : wholeNumber(flags.listenBase, 1, 65_535);
  if (basePort === undefined) return `--listen-base: "${flags.listenBase}" is not a port (1-65535)`;
  const speed = flags.speed === undefined ? null : Number(flags.speed);
  if (speed !== null && !(Number.isFinite(speed) && speed > 0)) {
    return `--speed: "${flags.speed}" is not a number greater than 0`;
  }
  if (speed !== null && flags.scenario === undefined) return "--speed needs --scenario FILE";
  const plan = count === null ? immigrationEstatePlan() : genericPlan(count);
  if (basePort !== 0 && basePort + plan.length - 1 > 65_535) {
    return `--listen-base: ports ${basePort}-${basePort + plan.length - 1} run past 65535`;
  }
  const scenario = flags.scenario === undefined ? null : scenarioFile(flags.scenario);
  if (scenario !== null && "error" in scenario) return scenario.error;
  const file = scenario === null ? null : scenario.file;
  return { plan, basePort, speed, scenarioFile: file, configOut: flags.configOut ?? null };
}

function wholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
}

/** Serves, plays, stops: the exit code. */
async function simulate(options: SimulateOptions): Promise<number> {
  // Listening for signals first: a SIGTERM at any point ends in a clean close and exit 0.
  const signal = stopSignal();
  try {
    const scenario = await readScenario(options);
    if (scenario === undefined) return 1;
    let estate: Estate;
    try {
      estate = await Estate.start({ plan: options.plan, basePort: options.basePort });
    } catch (error) {
      process.stderr.write(`pantau simulate: ${error instanceof Error ? error.message : error}\n`);
      return 1;
    }
    try {
      return await serve(estate, scenario, options, signal.stopped);
    } finally {
      await estate.close();
    }
  } finally {
    signal.dispose();
  }
}

/** The scenario, null without --scenario, undefined (issues printed) when it is invalid. */
async function readScenario(options: SimulateOptions): Promise<Scenario | null | undefined> {
  if (options.scenarioFile === null) return null;
  const ids = options.plan.map((plan) => plan.id);
  const loaded = await loadScenario(options.scenarioFile, { endpointIds: ids });
  if (loaded.ok) return loaded.scenario;
  for (const issue of loaded.issues) process.stderr.write(`${formatScenarioIssue(issue)}\n`);
  return undefined;
}

async function serve(
  estate: Estate,
  scenario: Scenario | null,
  options: SimulateOptions,
  stopped: Promise<void>,
): Promise<number> {
  const served = estate.served();
  process.stdout.write(served.map(({ plan, url }) => `${plan.id} ${url}\n`).join(""));
  if (options.configOut !== null) {
    try {
      await writeFile(options.configOut, renderMonitorConfig(served));
    } catch (error) {
      const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
      process.stderr.write(`pantau simulate: cannot write ${options.configOut} (${reason})\n`);
      return 1;
    }
  }
  if (scenario === null) {
    await stopped;
    return 0;
  }
  const outcome = await play(estate, scenario, options.speed ?? scenario.speed, stopped);
  return outcome === "failed" ? 1 : 0;
}

function play(
  estate: Estate,
  scenario: Scenario,
  speed: number,
  stopped: Promise<void>,
): Promise<PlayOutcome> {
  const player = new ScenarioPlayer({
    steps: scenario.steps,
    speed,
    clock: systemClock,
    timers: systemTimers,
    apply: (step) => estate.applyStep(step),
  });
  player.on((event) => {
    if (event.type === "step") process.stdout.write(`${formatStep(event.step)}\n`);
    if (event.type === "finished") process.stdout.write(`scenario ${scenario.name}: finished\n`);
    if (event.type === "failed") {
      const reason = event.error instanceof Error ? event.error.message : String(event.error);
      process.stderr.write(`pantau simulate: step ${event.index + 1} failed: ${reason}\n`);
    }
  });
  process.stdout.write(`${formatScenarioStart(scenario, speed)}\n`);
  void stopped.then(() => player.stop());
  return player.play();
}

/** Resolves on the first SIGINT or SIGTERM; dispose() stops listening. */
function stopSignal(): { stopped: Promise<void>; dispose: () => void } {
  let onSignal: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    onSignal = resolve;
  });
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  const dispose = () => {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  };
  return { stopped, dispose };
}
