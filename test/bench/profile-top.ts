import { readFileSync } from "node:fs";
import { printTable } from "./table.js";

/**
 * `tsx test/bench/profile-top.ts FILE.cpuprofile [N]`: self time of the daemon's profile (taken
 * with BENCH_CPU_PROF_DIR=DIR npm run bench -- …), by function and by module, top N.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

const [file, topText] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write("usage: profile-top.ts FILE.cpuprofile [N]\n");
  process.exit(2);
}
const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const totalUs = profile.endTime - profile.startTime;
const perSample = totalUs / Math.max(1, profile.samples.length);
const byFunction = new Map<string, number>();
const byModule = new Map<string, number>();
let busy = 0;
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  if (hits === 0 || functionName === "(idle)") continue;
  const idle =
    functionName === "(idle)" ||
    functionName === "(program)" ||
    functionName === "(garbage collector)";
  const short = url
    .replace(/^file:\/\/.*?node_modules\//, "")
    .replace(/^file:\/\/.*\/dist\//, "pantau/");
  const fn = `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  const module = idle
    ? functionName
    : short
        .split(/[/:]/)
        .slice(0, short.startsWith("node:") ? 2 : 2)
        .join("/") || "(native)";
  byModule.set(module, (byModule.get(module) ?? 0) + hits);
  if (functionName !== "(idle)") busy += hits;
}
const pct = (hits: number) => `${((100 * hits) / Math.max(1, busy)).toFixed(1)} %`;
const ms = (hits: number) => `${((hits * perSample) / 1000).toFixed(0)} ms`;
const rank = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
process.stdout.write(`${file}: ${(totalUs / 1e6).toFixed(1)} s profiled, ${ms(busy)} not idle\n`);
printTable(
  "Self time by function (share of non-idle)",
  ["function", "self", "share"],
  rank(byFunction).map(([k, v]) => [k, ms(v), pct(v)]),
);
printTable(
  "Self time by module",
  ["module", "self", "share"],
  rank(byModule).map(([k, v]) => [k, ms(v), pct(v)]),
);
