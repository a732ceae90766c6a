import { setFlagsFromString } from "node:v8";

/**
 * Patterns pantau runs over response bodies (untrusted, up to max_body) must match in time
 * linear in the body: a backtracking pattern such as `^(\w+\s?)*$` over 40 letters and a `!`
 * otherwise holds the event loop for minutes. V8 has a linear-time engine behind a flag in
 * Node 20 and 24 (the RegExp flag `l`); it takes no backreferences, no lookahead, no repetition
 * counts over 16, and on Node 20 no lookbehind. Such patterns are refused when the config is
 * loaded, by the Node that runs it.
 *
 * Both flags are process-wide and set once, before any pattern is compiled with them:
 * - the `l` flag exists only with --enable-experimental-regexp-engine (used here to check);
 * - --enable-experimental-regexp-engine-on-excessive-backtracks lets every pattern start on the
 *   fast backtracking engine and move to the linear one after 50,000 backtracks, so a checked
 *   pattern is fast on ordinary bodies and linear on hostile ones.
 */
export const LINEAR_REGEX_FLAGS = [
  "--enable-experimental-regexp-engine",
  "--enable-experimental-regexp-engine-on-excessive-backtracks",
] as const;

let enabled = false;

export function enableLinearRegex(): void {
  if (enabled) return;
  for (const flag of LINEAR_REGEX_FLAGS) setFlagsFromString(flag);
  enabled = true;
}

/** Why `source` cannot be matched in linear time, or null when it can (or is not a regex). */
export function linearRegexProblem(source: string): string | null {
  enableLinearRegex();
  try {
    new RegExp(source, "l");
    return null;
  } catch (error) {
    if (!(error instanceof SyntaxError) || !/linear time/.test(error.message)) return null;
    return "cannot be matched in linear time: backreferences, lookahead (and on Node 20 lookbehind) and repetition counts over 16 ({1,100}) are not supported";
  }
}
