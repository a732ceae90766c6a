import { hostname } from "node:os";
import { Command } from "commander";
import { readBearerToken } from "../config/bearer-token.js";
import { loadConfig } from "../config/load.js";
import { formatShard, parseShard } from "../config/shard.js";
import type { Config } from "../config/types.js";
import { type ConfigIssue, formatConfigIssue } from "../fields/errors.js";

export const DEFAULT_CONFIG = "config/pantau.yaml";

export function checkCommand(): Command {
  return new Command("check")
    .description("validate a configuration; print a summary or every error (exit 1 on error)")
    .option("-c, --config <file>", "configuration file", DEFAULT_CONFIG)
    .option("--shard <i/n>", "list what shard I of N (from 0) gets; overrides global.shard")
    .action(async (options: { config: string; shard?: string }) => {
      const shard = options.shard === undefined ? null : parseShard(options.shard);
      if (typeof shard === "string") {
        process.stderr.write(`pantau check: --shard: ${shard}\n`);
        process.exitCode = 2;
        return;
      }
      const loaded = await loadConfig(options.config, process.env, { hostname: hostname(), shard });
      // the token file is read at start, as `run` reads it: a missing one fails here, not there
      const token = loaded.ok ? await readBearerToken(loaded.config) : null;
      const issues = !loaded.ok ? loaded.issues : isIssue(token) ? [token] : [];
      if (issues.length > 0) {
        for (const issue of issues) process.stderr.write(`${formatConfigIssue(issue)}\n`);
        const n = issues.length;
        process.stderr.write(`${options.config}: ${n} error${n === 1 ? "" : "s"}\n`);
        process.exitCode = 1;
        return;
      }
      if (loaded.ok) process.stdout.write(summarizeConfig(loaded.config));
    });
}

function isIssue(value: string | null | ConfigIssue): value is ConfigIssue {
  return value !== null && typeof value === "object";
}

/** Targets per service and per site, and the dependency roots everything hangs from. */
export function summarizeConfig(config: Config): string {
  const shard = config.global.shard;
  const lines =
    shard === null
      ? [`${config.file}: ok, ${config.targets.length} targets`]
      : [
          `${config.file}: ok, shard ${formatShard(shard)}: ${config.targets.length} of ${config.targetsInFile} targets`,
          ...shardIds(config),
        ];
  lines.push(
    "",
    ...countTable(
      "service",
      config.targets.map((t) => t.service),
    ),
  );
  lines.push(
    "",
    ...countTable(
      "site",
      config.targets.map((t) => t.site),
    ),
  );
  const dependants = new Map<string, number>();
  for (const t of config.targets) {
    for (const d of t.dependsOn) dependants.set(d, (dependants.get(d) ?? 0) + 1);
  }
  const roots = config.targets.filter((t) => t.dependsOn.length === 0 && dependants.has(t.id));
  lines.push("", "dependency roots:");
  if (roots.length === 0) lines.push("  (none)");
  for (const root of roots) {
    lines.push(`  ${root.id}  (${dependants.get(root.id)} direct dependants)`);
  }
  return `${lines.join("\n")}\n`;
}

/** The shard's target ids, sorted: what a daemon started with this shard watches. */
function shardIds(config: Config): string[] {
  const ids = config.targets.map((t) => t.id).sort();
  return [
    "",
    "targets in this shard:",
    ...(ids.length === 0 ? ["  (none)"] : ids.map((id) => `  ${id}`)),
  ];
}

function countTable(title: string, values: string[]): string[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v || "(none)", (counts.get(v || "(none)") ?? 0) + 1);
  const width = Math.max(title.length, ...[...counts.keys()].map((k) => k.length));
  const rows = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
  return [
    `${title.padEnd(width)}  targets`,
    ...rows.map(([k, n]) => `${k.padEnd(width)}  ${String(n).padStart(7)}`),
  ];
}
