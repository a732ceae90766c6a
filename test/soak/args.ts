import { parseArgs } from "node:util";

export interface SoakArgs {
  minutes: number;
  targets: number;
  seed: number;
}

export const SOAK_USAGE = "usage: npm run soak -- --minutes N [--targets 2000] [--seed S]";

/** `--minutes N [--targets 2000] [--seed S]` (seed also from SOAK_SEED); an error names the flag. */
export function parseSoakArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  randomSeed: number,
): SoakArgs | { error: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        minutes: { type: "string" },
        targets: { type: "string" },
        seed: { type: "string" },
      },
      strict: true,
    }).values;
  } catch (error) {
    return { error: (error as Error).message };
  }
  const read = (name: string, text: unknown, fallback: number): number | string => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (typeof text === "string" && Number.isInteger(value) && value > 0) return value;
    return `--${name}: "${String(text)}" is not a positive integer`;
  };
  const minutes = read("minutes", values.minutes, 3);
  const targets = read("targets", values.targets, 2000);
  const seed = read("seed", values.seed ?? env.SOAK_SEED, randomSeed);
  for (const value of [minutes, targets, seed])
    if (typeof value === "string") return { error: value };
  return { minutes: minutes as number, targets: targets as number, seed: seed as number };
}
