import { Worker } from "node:worker_threads";
import { enableLinearRegex } from "../fields/linear-regex.js";

/**
 * Matching a response body against a configured pattern, off the event loop. Patterns are
 * checked at load to be linear-time (fields/linear-regex.ts), but linear in a 1 MiB body can
 * still be seconds of CPU (~7 s for `^(\w+\s?)*$` on Node 20): on the event loop that would hold
 * every other target's probe. So the match runs in a worker thread with a time budget; a
 * worker over budget is terminated (V8 interrupts the match) and replaced.
 */

/** What a match came to: matched, not matched, or not decided within the budget. */
export type RegexOutcome = "matched" | "unmatched" | "over budget";

// Two threads: one hostile pattern running out its budget leaves one for every other target.
const MAX_WORKERS = 2;

// CommonJS, evaluated: the same text runs from dist/ and from the TypeScript sources in tests.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const v8 = require("node:v8");
for (const flag of workerData.flags) v8.setFlagsFromString(flag);
const compiled = new Map();
const decoder = new TextDecoder();
parentPort.on("message", ({ source, body }) => {
  let pattern = compiled.get(source);
  if (pattern === undefined) {
    if (compiled.size >= 1000) compiled.clear();
    pattern = new RegExp(source);
    compiled.set(source, pattern);
  }
  parentPort.postMessage(pattern.test(decoder.decode(body)));
});`;

interface Request {
  source: string;
  body: Uint8Array;
  budgetMs: number;
  settle: (outcome: RegexOutcome) => void;
}

class RegexThreads {
  readonly #idle: Worker[] = [];
  #busy = 0;
  readonly #queue: Request[] = [];

  match(source: string, body: Uint8Array, budgetMs: number): Promise<RegexOutcome> {
    return new Promise((settle) => {
      this.#queue.push({ source, body, budgetMs, settle });
      this.#next();
    });
  }

  #next(): void {
    while (this.#queue.length > 0 && (this.#idle.length > 0 || this.#busy < MAX_WORKERS)) {
      const request = this.#queue.shift() as Request;
      this.#run(this.#idle.pop() ?? startWorker(), request);
    }
  }

  #run(worker: Worker, request: Request): void {
    this.#busy++;
    const done = (outcome: RegexOutcome, reusable: boolean) => {
      clearTimeout(timer);
      worker.removeAllListeners("message").removeAllListeners("error");
      this.#busy--;
      if (reusable) this.#idle.push(worker);
      else void worker.terminate();
      request.settle(outcome);
      this.#next();
    };
    const timer = setTimeout(() => done("over budget", false), request.budgetMs);
    timer.unref();
    worker.once("message", (matched: boolean) => done(matched ? "matched" : "unmatched", true));
    // a pattern the load check let through but the worker cannot compile: not decided
    worker.once("error", () => done("over budget", false));
    worker.postMessage({ source: request.source, body: request.body });
  }
}

function startWorker(): Worker {
  enableLinearRegex();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { flags: ["--enable-experimental-regexp-engine-on-excessive-backtracks"] },
  });
  // an idle matcher never keeps the process alive
  worker.unref();
  return worker;
}

const threads = new RegexThreads();

/**
 * Whether `body` matches the pattern `source` (JavaScript syntax, checked linear at load),
 * decided in a worker thread within `budgetMs` of starting there.
 */
export function matchBody(
  source: string,
  body: Uint8Array,
  budgetMs: number,
): Promise<RegexOutcome> {
  return threads.match(source, body, budgetMs);
}
