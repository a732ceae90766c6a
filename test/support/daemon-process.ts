import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
// Absolute, so that a child started in another cwd still finds the loader (tsx's "." export).
const TSX = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs"),
).href;

/** One JSON log line of the daemon. */
export type LogLine = Record<string, unknown> & { event?: string; msg?: string };

/** The real `pantau` CLI as a child process, run from the TypeScript sources. */
export class DaemonProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private waiters: { test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  /** `main`: a compiled CLI entry (e.g. the benchmarks' build) to run instead of the sources. */
  constructor(
    args: string[],
    options: { env?: Record<string, string>; cwd?: string; main?: string } = {},
  ) {
    const entry = options.main ? [options.main] : ["--import", TSX, MAIN];
    this.child = spawn(process.execPath, [...entry, ...args], {
      env: { ...process.env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: this.child.stdout! }).on("line", (text) => this.onLine(text));
    createInterface({ input: this.child.stderr! }).on("line", (text) => this.stderr.push(text));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private onLine(text: string): void {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Resolves with the first line (already seen or to come) that passes `test`. */
  waitFor(test: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`no matching log line in ${timeoutMs} ms; stderr: ${this.stderr.join("\n")}`),
        );
      }, timeoutMs);
      this.waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  async exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return { code: this.child.exitCode, signal: this.child.signalCode };
    }
    const [code, signal] = (await once(this.child, "exit")) as [
      number | null,
      NodeJS.Signals | null,
    ];
    return { code, signal };
  }
}

export const isTransition = (target: string, from: string, to: string) => (line: LogLine) =>
  line.event === "transition" && line.target === target && line.from === from && line.to === to;
