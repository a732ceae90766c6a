import { monitorEventLoopDelay } from "node:perf_hooks";
import { matchBody } from "../../src/probe/regex-match.js";
import { envNumber } from "./env.js";
import { printTable } from "./table.js";

/**
 * What body_regex costs now that it runs in a worker thread (src/probe/regex-match.ts): per
 * match, wall time and CPU of this process (main thread and workers) for an ordinary pattern
 * over bodies of several sizes; and for the pathological `^(\w+\s?)*$` over 1 MiB, how long the
 * worker takes to decide and the longest event-loop block meanwhile.
 */
export async function regexBench(): Promise<void> {
  const matches = envNumber("BENCH_REGEX_MATCHES", 5000, 500);
  const encode = (text: string) => new TextEncoder().encode(text);
  await matchBody("warm", encode("warm"), 10_000); // the workers' start is not a match's cost
  const rows: string[][] = [];
  for (const [label, size] of [
    ["1 KiB", 1 << 10],
    ["64 KiB", 1 << 16],
    ["1 MiB", 1 << 20],
  ] as const) {
    const body = encode(`${"x".repeat(size - 16)}"status": "up"}`);
    const count = size >= 1 << 20 ? Math.max(50, matches / 50) : matches;
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: count }, () => matchBody('"status":\\s*"up"', body, 10_000)),
    );
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    rows.push([
      `\`"status":\\s*"up"\` over ${label}`,
      String(count),
      `${((wall / count) * 1000).toFixed(0)} µs`,
      `${((used.user + used.system) / count).toFixed(0)} µs`,
      "-",
    ]);
  }
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  const outcome = await matchBody("^(\\w+\\s?)*$", encode(`${"a".repeat((1 << 20) - 1)}!`), 60_000);
  const decided = performance.now() - started;
  delay.disable();
  rows.push([
    "`^(\\w+\\s?)*$` over 1 MiB of letters and a `!`",
    "1",
    `${(decided / 1000).toFixed(2)} s (${outcome})`,
    "-",
    `${(delay.max / 1e6).toFixed(0)} ms`,
  ]);
  printTable(
    `body_regex in a worker thread (node ${process.versions.node})`,
    ["pattern and body", "matches", "wall per match", "CPU per match", "longest event-loop block"],
    rows,
  );
}
