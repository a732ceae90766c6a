/**
 * Grafana's variable substitution for the shipped dashboards' PromQL, for tests that run it
 * against a real Prometheus.
 */
import type { PromResult } from "./prometheus.js";

/** Grafana's interval variables, at the 1 s scrape interval of the e2e stacks. */
export const INTERVALS: Record<string, string> = {
  __rate_interval: "5s",
  __interval: "1s",
  __range: "1m",
  __range_s: "60",
};

/**
 * The expression Grafana would send: a regex matcher on a variable gets `regex[name]` when
 * given, else `.*` (the All value); an exact matcher gets `values[name]`; interval variables
 * their durations.
 */
export function substitute(
  expr: string,
  values: Record<string, string> = {},
  regex: Record<string, string> = {},
): string {
  return expr
    .replace(/=~"\$\{?(\w+)\}?"/g, (_m, name: string) => `=~"${regex[name] ?? ".*"}"`)
    .replace(/="\$\{?(\w+)\}?"/g, (_m, name: string) => `="${values[name] ?? "unset"}"`)
    .replace(/\$\{?(__\w+)\}?/g, (match, name: string) => INTERVALS[name] ?? match);
}

/** Whether an instant or range result holds a sample. */
export function hasValue(result: PromResult): boolean {
  return result.value !== undefined || (result.values?.length ?? 0) > 0;
}
