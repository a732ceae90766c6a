/** Scenario sizes: `BENCH_QUICK=1` shrinks every run to finish in a few minutes; env overrides. */
export const QUICK = process.env.BENCH_QUICK === "1";

export function envNumber(name: string, full: number, quick: number): number {
  const text = process.env[name];
  if (text !== undefined && text !== "") {
    const value = Number(text);
    if (Number.isFinite(value) && value > 0) return value;
    throw new Error(`${name}="${text}" is not a positive number`);
  }
  return QUICK ? quick : full;
}

export function envList(name: string, full: readonly number[], quick: readonly number[]): number[] {
  const text = process.env[name];
  if (text !== undefined && text !== "") return text.split(",").map((part) => Number(part));
  return [...(QUICK ? quick : full)];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
