import { Command } from "commander";
import { loadConfig, parseConfig } from "../config/load.js";
import type { Target } from "../config/types.js";
import { type ConfigIssue, formatConfigIssue } from "../fields/errors.js";
import { describeEndpoint, probeTarget } from "../probe/index.js";
import { PHASES, type ProbeResult } from "../probe/types.js";
import { didYouMean } from "../text/suggest.js";
import { systemClock } from "../time/clock.js";

interface ProbeOptions {
  config?: string;
  url?: string;
  timeout?: string;
}

export function probeCommand(): Command {
  return new Command("probe")
    .description("probe one target now and print the result with its phases")
    .argument("[target-id]", "id of a target in --config")
    .option("-c, --config <file>", "configuration file")
    .option("-u, --url <url>", "probe this URL with default settings instead")
    .option("-t, --timeout <duration>", "timeout for --url", "10s")
    .action(async (targetId: string | undefined, options: ProbeOptions) => {
      const target = await resolveTarget(targetId, options);
      if ("error" in target) {
        process.stderr.write(`${target.error}\n`);
        process.exitCode = target.exitCode;
        return;
      }
      const result = await probeTarget(target, { clock: systemClock });
      process.stdout.write(formatProbe(target, result, systemClock.now()));
      process.exitCode = result.result === "failed" ? 1 : 0;
    });
}

type Resolved = Target | { error: string; exitCode: 1 | 2 };

const usage = (error: string): Resolved => ({ error: `pantau probe: ${error}`, exitCode: 2 });

/** The target to probe, or an error: bad usage exits 2, a config that cannot be used 1. */
async function resolveTarget(id: string | undefined, options: ProbeOptions): Promise<Resolved> {
  if (options.url && (id || options.config)) {
    return usage("give either --url URL, or --config FILE and a target id");
  }
  if (options.url) {
    // An ad-hoc target goes through the same validation and defaults as a configured one.
    const yaml = JSON.stringify({
      global: { timeout: options.timeout, interval: "1d" },
      targets: [{ id: "adhoc", http: { url: options.url } }],
    });
    const parsed = parseConfig(yaml, "--url", {});
    if (!parsed.ok) return usage(parsed.issues.map(flagProblem).join("; "));
    return parsed.config.targets[0] as Target;
  }
  if (!options.config || !id) return usage("need --config FILE and a target id, or --url URL");
  const loaded = await loadConfig(options.config, process.env);
  if (!loaded.ok) return { error: loaded.issues.map(formatConfigIssue).join("\n"), exitCode: 1 };
  const target = loaded.config.targets.find((t) => t.id === id);
  if (target !== undefined) return target;
  const ids = loaded.config.targets.map((t) => t.id);
  return usage(`no target "${id}" in ${options.config}${didYouMean(id, ids)}`);
}

/** An issue of the ad-hoc config, named by the flag it came from. */
function flagProblem(issue: ConfigIssue): string {
  const flag = issue.path.endsWith(".timeout") ? "--timeout" : "--url";
  return `${flag}: ${issue.message}`;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

export function formatProbe(target: Target, result: ProbeResult, now: number): string {
  const rows: [string, string][] = [
    ["target", `${target.id} (${describeEndpoint(target.probe)})`],
    ["result", result.result],
    ["reason", result.reason ?? "-"],
    ["detail", result.detail || "-"],
    ["status", result.status === null ? "-" : String(result.status)],
    ["duration", ms(result.durationMs)],
    ...PHASES.map((phase): [string, string] => [`  ${phase}`, ms(result.phases[phase])]),
    ["bytes", String(result.bytesRead)],
    ["redirects", String(result.redirects)],
    ["cert", formatCertExpiry(result.certExpiresAt, now)],
  ];
  return `${rows.map(([k, v]) => `${k.padEnd(14)}${v}`).join("\n")}\n`;
}

function formatCertExpiry(expiresAt: number | null, now: number): string {
  if (expiresAt === null) return "-";
  const days = Math.floor((expiresAt - now) / 86_400_000);
  return `expires ${new Date(expiresAt).toISOString()} (in ${days}d)`;
}
