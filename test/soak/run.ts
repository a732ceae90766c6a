import { cpus } from "node:os";
import { printTable } from "../bench/table.js";
import { parseSoakArgs, SOAK_USAGE } from "./args.js";
import { type SoakSample, TOLERANCE } from "./growth.js";
import { runSoak } from "./soak.js";

/** `npm run soak -- --minutes N [--targets 2000] [--seed S]`: prints samples, the growth check and a verdict. */
const args = parseSoakArgs(process.argv.slice(2), process.env, Date.now() % 1_000_000);
if ("error" in args) {
  process.stderr.write(`${args.error}\n${SOAK_USAGE}\n`);
  process.exit(2);
}
const { minutes, targets, seed } = args;

const row = (s: SoakSample) => [
  String(s.t),
  s.rssMiB.toFixed(1),
  s.heapMiB.toFixed(1),
  s.heapTotalMiB.toFixed(1),
  s.externalMiB.toFixed(1),
  String(s.fds),
  Number.isFinite(s.lagP99Ms) ? s.lagP99Ms.toFixed(1) : "–",
  s.probesPerSecond.toFixed(0),
  String(s.transitions),
  String(s.reloads),
];
const HEADER = [
  "t s",
  "RSS MiB",
  "heap MiB",
  "heap total",
  "external",
  "fds",
  "lag p99 ms",
  "probes/s",
  "transitions",
  "reloads",
];

process.stdout.write(
  `pantau soak — ${minutes} min, ${targets} targets, seed ${seed}, node ${process.versions.node}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}\n`,
);
process.stdout.write(`${HEADER.join("\t")}\n`);
const result = await runSoak({
  minutes,
  targets,
  seed,
  onSample: (s) => process.stdout.write(`${row(s).join("\t")}\n`),
  log: (line) => process.stderr.write(`${line}\n`),
});

// one row in ten for long runs: the table is for reading, the growth check decides
const step = Math.max(1, Math.ceil(result.samples.length / 20));
printTable(
  `samples (every ${step * 10} s)`,
  HEADER,
  result.samples.filter((_, i) => (i + 1) % step === 0).map(row),
);
printTable(
  "growth: median of the later half against the earlier half of the samples after warm-up (the first third and until the first major GC)",
  ["measure", "earlier half", "later half", "noise (3 SE)", "allowed", "verdict"],
  result.checks.map((c) => {
    const { absolute, relative, unit } = TOLERANCE[c.key];
    return [
      c.key,
      c.earlier.toFixed(1),
      c.later.toFixed(1),
      c.noise.toFixed(1),
      `≤ ${c.allowed.toFixed(1)} (+max(${absolute}${unit}, ${relative * 100}%, noise))`,
      c.ok ? "ok" : "GROWTH",
    ];
  }),
);
process.stdout.write(
  `\nreloads ${result.reloads.ok} ok / ${result.reloads.rejected} rejected; transitions ${result.transitions}; error lines ${result.errors.count}; daemon exit ${result.exit.code ?? result.exit.signal}\n`,
);
for (const line of result.errors.first) process.stdout.write(`  ${line}\n`);
process.stdout.write(`verdict: ${result.ok ? "PASS — no growth beyond noise" : "FAIL"}\n`);
process.exit(result.ok ? 0 : 1);
