#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { checkCommand } from "./check.js";
import { demoCommand } from "./demo.js";
import { outagesCommand } from "./outages.js";
import { probeCommand } from "./probe.js";
import { reportCommand } from "./report.js";
import { runCommand } from "./run.js";
import { simulateCommand } from "./simulate.js";

/** Usage errors exit 2 (like Prometheus' own tools); failures of the work exit 1. */
export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command("pantau")
    .description(
      "Health-check monitoring daemon: probes, exact state transitions, Prometheus metrics",
    )
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  program.addCommand(runCommand());
  program.addCommand(checkCommand());
  program.addCommand(probeCommand());
  program.addCommand(outagesCommand());
  program.addCommand(reportCommand());
  program.addCommand(simulateCommand());
  program.addCommand(demoCommand());
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const benign = ["commander.helpDisplayed", "commander.version", "commander.help"];
      process.exitCode = benign.includes(error.code) ? 0 : EXIT_USAGE;
      return;
    }
    process.stderr.write(`pantau: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
