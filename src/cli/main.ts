#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";

/** Usage errors exit 2 (like Prometheus' own tools); failures of the work exit 1. */
export const EXIT_USAGE = 2;

/**
 * Each command's module, imported only when needed: `report` and `outages` need neither the
 * daemon nor the simulator, whose imports cost ≈ 150 ms of a one-second report.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./run.js")).runCommand(),
  check: async () => (await import("./check.js")).checkCommand(),
  probe: async () => (await import("./probe.js")).probeCommand(),
  outages: async () => (await import("./outages.js")).outagesCommand(),
  report: async () => (await import("./report.js")).reportCommand(),
  simulate: async () => (await import("./simulate.js")).simulateCommand(),
  demo: async () => (await import("./demo.js")).demoCommand(),
};

/**
 * The program with every command, or with only `name`'s when it is one: what a command's
 * parsing, help and errors need. Anything else (no command, --help, a typo) sees them all.
 */
export async function buildProgram(name?: string): Promise<Command> {
  const program = new Command("pantau")
    .description(
      "Health-check monitoring daemon: probes, exact state transitions, Prometheus metrics",
    )
    .version(VERSION)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const load = name === undefined ? undefined : COMMANDS[name];
  const commands = load !== undefined ? [load] : Object.values(COMMANDS);
  for (const command of await Promise.all(commands.map((make) => make()))) {
    program.addCommand(command);
  }
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await (await buildProgram(argv[2])).parseAsync(argv);
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
