import { existsSync, readdirSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { didYouMean } from "../text/suggest.js";

/** Shipped with the package (`files` has config/): found from any working directory. */
export const SCENARIOS_DIR = fileURLToPath(new URL("../../config/scenarios/", import.meta.url));

export const DEFAULT_SCENARIO = join(SCENARIOS_DIR, "pdns-2024.yaml");

/** The shipped scenarios' names: `pdns-2024` for pdns-2024.yaml. */
export function shippedScenarios(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => file.replace(/\.ya?ml$/, ""))
    .sort();
}

/**
 * The file --scenario names: the path as given when it exists (from `cwd`), else the shipped
 * scenario of that name (`pdns-2024`, `pdns-2024.yaml` or `config/scenarios/pdns-2024.yaml`
 * from another directory), else what is wrong.
 */
export function scenarioFile(
  given: string,
  cwd: string = process.cwd(),
): { file: string } | { error: string } {
  const asGiven = resolve(cwd, given);
  if (existsSync(asGiven)) return { file: asGiven };
  // an absolute path means that file, never a shipped one
  if (isAbsolute(given)) return { error: `--scenario: no file ${given}` };
  const shipped = shippedScenarios();
  const name = basename(given).replace(/\.ya?ml$/, "");
  if (shipped.includes(name)) return { file: join(SCENARIOS_DIR, `${name}.yaml`) };
  return {
    error:
      `--scenario: no file ${asGiven}, and no shipped scenario named ${JSON.stringify(name)}` +
      ` (shipped: ${shipped.join(", ")})${didYouMean(name, shipped)}`,
  };
}
