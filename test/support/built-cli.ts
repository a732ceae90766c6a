/**
 * The built pantau (dist/, `npm run build`) that child-process tests run: `node dist/cli/main.js`
 * starts in about a third of the time `node --import tsx src/cli/main.ts` takes, since nothing is
 * compiled on the way. fresh-build.ts (a vitest globalSetup) makes sure it is not older than src/.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SRC = join(ROOT, "src");
export const DIST = join(ROOT, "dist");
/** The CLI's entry point, compiled. */
export const PANTAU_MAIN = join(DIST, "cli/main.js");

/** A compiled module of src/ by its path under src/ (`ledger/sqlite.js`), as a file URL. */
export function builtModuleUrl(pathUnderSrc: string): string {
  return new URL(pathUnderSrc, new URL("../../dist/", import.meta.url)).href;
}

/** Why dist/ cannot stand for src/ now (missing, or a source newer than its output), or null. */
export function staleBuild(src = SRC, dist = DIST): string | null {
  if (!existsSync(join(dist, "cli/main.js"))) return "dist/cli/main.js is missing";
  for (const source of sourceFiles(src)) {
    const output = join(dist, relative(src, source)).replace(/\.ts$/, ".js");
    if (!existsSync(output)) return `${relative(ROOT, output)} is missing`;
    if (statSync(output).mtimeMs < statSync(source).mtimeMs) {
      return `${relative(ROOT, source)} is newer than ${relative(ROOT, output)}`;
    }
  }
  return null;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) yield path;
  }
}
