import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { DEMO_MONITOR } from "../sim/monitor-config.js";
import { immigrationEstatePlan } from "../sim/plan.js";
import { formatScenarioIssue, loadScenario } from "../sim/scenario.js";
import { PACE, runDemo } from "./demo-run.js";
import { DEFAULT_SCENARIO, scenarioFile } from "./scenario-file.js";

interface DemoFlags {
  scenario?: string;
  speed?: string;
  listen: string;
  dir?: string;
  simBase: string;
}

export { DEFAULT_SCENARIO };

const TIME_HELP = `
Time in the demo:
  The daemon, the simulated estate and the scenario all run on one clock scaled to the
  scenario: the ledger, the report and this terminal speak scenario time (for pdns-2024,
  from 19 June 2024 23:00 WIB; the core is down two days). The monitor's own settings are
  scenario durations too: a probe every 10 minutes, a timeout of 9m30s.
  --speed is the average: the run lasts the scenario's length divided by it. Eventful
  stretches (from 10 minutes before a step to half an hour after it) play slower; quiet ones at
  least ${PACE.quietFactor}× faster, a long one in ${PACE.maxQuietMs / 1000} s at most. The first line printed says the
  speeds. A busy machine slows the replay down; it never changes a recorded time.`;

/**
 * `pantau demo` (docs/cli.md): the simulated estate and a real daemon watching it on the scenario's
 * clock, a live status board, and at the end the outage summary and the post-incident report.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description("replay the June 2024 incident on a simulated estate and watch pantau judge it")
    .option(
      "-s, --scenario <file>",
      "scenario to play: a file, or a shipped one by name (default: pdns-2024)",
    )
    .option("--speed <factor>", "average scenario time per real time (default: the scenario's)")
    .option(
      "--listen <addr>",
      "address for /metrics and the API while it runs",
      DEMO_MONITOR.listen,
    )
    .option(
      "--dir <dir>",
      "where the ledger, config, logs and report go; a ledger left there by an earlier demo is replaced (default: a new temp dir)",
    )
    .option(
      "--sim-base <port>",
      "the simulated endpoints listen on PORT, PORT+1, …; 0: ports the system picks",
      "19400",
    )
    .addHelpText("after", TIME_HELP)
    .action(async (flags: DemoFlags) => {
      const speed = flags.speed === undefined ? null : Number(flags.speed);
      const scenario =
        flags.scenario === undefined ? { file: DEFAULT_SCENARIO } : scenarioFile(flags.scenario);
      const problem = flagProblem(flags, speed) ?? ("error" in scenario ? scenario.error : null);
      if (problem || "error" in scenario) {
        process.stderr.write(`pantau demo: ${problem}\n`);
        process.exitCode = 2;
        return;
      }
      const loaded = await loadScenario(scenario.file, {
        endpointIds: immigrationEstatePlan().map((p) => p.id),
      });
      if (!loaded.ok) {
        for (const issue of loaded.issues) process.stderr.write(`${formatScenarioIssue(issue)}\n`);
        process.exitCode = 1;
        return;
      }
      const stop = new AbortController();
      const abort = () => stop.abort();
      process.once("SIGINT", abort).once("SIGTERM", abort);
      try {
        process.exitCode = await runDemo(loaded.scenario, {
          speed: speed ?? loaded.scenario.speed,
          listen: flags.listen,
          dir: resolve(flags.dir ?? mkdtempSync(join(tmpdir(), "pantau-demo-"))),
          simBase: Number(flags.simBase),
          signal: stop.signal,
          out: {
            write: (text) => process.stdout.write(text),
            error: (text) => process.stderr.write(text),
            tty: process.stdout.isTTY === true,
            ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
          },
        });
      } finally {
        process.off("SIGINT", abort).off("SIGTERM", abort);
      }
    });
}

function flagProblem(flags: DemoFlags, speed: number | null): string | null {
  if (speed !== null && !(Number.isFinite(speed) && speed > 0)) {
    return `--speed: "${flags.speed}" is not a number greater than 0`;
  }
  const base = Number(flags.simBase);
  const room = base === 0 || (base >= 1 && base + immigrationEstatePlan().length <= 65_536);
  if (!/^\d+$/.test(flags.simBase) || !room) {
    return `--sim-base: "${flags.simBase}" is not a port with room for the estate after it`;
  }
  return null;
}
