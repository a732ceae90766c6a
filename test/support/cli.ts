import { spawn } from "node:child_process";
import { Command, CommanderError } from "commander";
import type { CommandIo } from "../../src/cli/offline-ledger.js";
import { pantauMain } from "./built-cli.js";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `pantau` CLI to completion (async: servers in this process keep answering). */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, [pantauMain(), ...args], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface InProcessRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs one command in-process as main.ts does: its own exit code, or 2 for a usage error that
 * commander raises (unknown option, missing value). `build` makes the command with the io given.
 */
export async function runInProcess(
  name: string,
  build: (io: CommandIo) => Command,
  args: string[],
): Promise<InProcessRun> {
  const result: InProcessRun = { code: 0, out: "", err: "" };
  const output = {
    writeOut: (text: string) => {
      result.out += text;
    },
    writeErr: (text: string) => {
      result.err += text;
    },
  };
  const io: CommandIo = {
    out: output.writeOut,
    err: output.writeErr,
    setExitCode: (code) => {
      result.code = code;
    },
  };
  const command = build(io).exitOverride().configureOutput(output);
  const program = new Command("pantau").exitOverride().configureOutput(output);
  program.addCommand(command);
  try {
    await program.parseAsync([name, ...args], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    result.code = 2;
  }
  return result;
}
