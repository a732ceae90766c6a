import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { pantauMain } from "./built-cli.js";

/** One JSON log line of the daemon. */
export type LogLine = Record<string, unknown> & { event?: string; msg?: string };

/** A test of log lines; `description` names it in a failure message (else its source does). */
export type LineTest = ((line: LogLine) => boolean) & { description?: string };

interface Waiter {
  test: LineTest;
  resolve: (line: LogLine) => void;
  reject: (error: Error) => void;
}

/** The real `pantau` CLI as a child process: the build in dist/ (built-cli.ts). */
export class DaemonProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private waiters: Waiter[] = [];
  /** How the process ended, once its output is all read; null while it runs. */
  private ended: string | null = null;

  /** `main`: another compiled CLI entry (e.g. the benchmarks' build) to run instead. */
  constructor(
    args: string[],
    options: { env?: Record<string, string>; cwd?: string; main?: string } = {},
  ) {
    this.child = spawn(process.execPath, [options.main ?? pantauMain(), ...args], {
      env: { ...process.env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: this.child.stdout! }).on("line", (text) => this.onLine(text));
    createInterface({ input: this.child.stderr! }).on("line", (text) => this.stderr.push(text));
    // a line that has not come when the process ends never will: say so now, not at the timeout
    this.child.once("close", (code, signal) => {
      this.ended = `pantau exited (${signal ?? `code ${code}`})`;
      for (const waiter of this.waiters.splice(0)) {
        waiter.reject(this.waitError(waiter.test, this.ended));
      }
    });
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
  waitFor(test: LineTest, timeoutMs = 15_000): Promise<LogLine> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    if (this.ended !== null) return Promise.reject(this.waitError(test, this.ended));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(this.waitError(test, `not within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private waitError(test: LineTest, why: string): Error {
    const awaited = test.description ?? test.toString();
    return new Error(`no log line ${awaited}: ${why}; stderr: ${this.stderr.join("\n")}`);
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

export const isTransition = (target: string, from: string, to: string): LineTest =>
  Object.assign(
    (line: LogLine) =>
      line.event === "transition" && line.target === target && line.from === from && line.to === to,
    { description: `of ${target}'s transition ${from} → ${to}` },
  );
