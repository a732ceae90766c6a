import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Golden files for reports (STYLE §12), under test/fixtures/report/. `UPDATE_GOLDEN=1` rewrites
 * them from the output; review the change with `git diff` before committing it.
 */

const UPDATE = process.env.UPDATE_GOLDEN === "1";
const HOW_TO_UPDATE = "UPDATE_GOLDEN=1 npx vitest run test/report";
const MAX_DIFF_LINES = 40;

export function goldenPath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/report/${name}`, import.meta.url));
}

/** Throws with a line diff when `actual` is not the golden file's text. */
export function expectGolden(name: string, actual: string): void {
  const file = goldenPath(name);
  if (UPDATE) {
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    throw new Error(`golden file ${name} is missing: create it with ${HOW_TO_UPDATE}`);
  }
  const expected = readFileSync(file, "utf8");
  if (actual === expected) return;
  throw new Error(
    `output differs from golden file test/fixtures/report/${name} ` +
      `(- golden, + actual; if the change is right: ${HOW_TO_UPDATE})\n${lineDiff(expected, actual)}`,
  );
}

/**
 * A line diff from a longest common subsequence: each removed (`-`, golden line number) and
 * added (`+`, actual line number) line, at most MAX_DIFF_LINES of them.
 */
export function lineDiff(expected: string, actual: string): string {
  const want = expected.split("\n");
  const got = actual.split("\n");
  // common[i][j]: length of the longest common subsequence of want[i..] and got[j..]
  const common = Array.from({ length: want.length + 1 }, () =>
    new Array<number>(got.length + 1).fill(0),
  );
  for (let i = want.length - 1; i >= 0; i--) {
    for (let j = got.length - 1; j >= 0; j--) {
      const row = common[i] as number[];
      const below = common[i + 1] as number[];
      row[j] =
        want[i] === got[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: string[] = [];
  let [i, j] = [0, 0];
  while ((i < want.length || j < got.length) && out.length < MAX_DIFF_LINES) {
    if (i < want.length && j < got.length && want[i] === got[j]) {
      [i, j] = [i + 1, j + 1];
    } else if (
      i < want.length &&
      (j === got.length || (common[i + 1]?.[j] ?? 0) >= (common[i]?.[j + 1] ?? 0))
    ) {
      out.push(`-${String(i + 1).padStart(5)}: ${want[i]}`);
      i += 1;
    } else {
      out.push(`+${String(j + 1).padStart(5)}: ${got[j]}`);
      j += 1;
    }
  }
  if (i < want.length || j < got.length) out.push("… (diff cut here)");
  return out.join("\n");
}
