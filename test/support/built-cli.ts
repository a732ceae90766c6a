/**
 * The built pantau (dist/, `npm run build`) that child-process tests run: `node dist/cli/main.js`
 * starts in about half the time `node --import tsx src/cli/main.ts` takes, since nothing is
 * compiled on the way. A test that would run a dist/ older than src/ fails at once saying so;
 * `npm test` builds it first when it is (fresh-build.ts).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SRC = join(ROOT, "src");
export const DIST = join(ROOT, "dist");
/** The CLI's entry point, compiled; throws when dist/ is older than src/. */
export function pantauMain(): string {
  assertFreshBuild();
  return join(DIST, "cli/main.js");
}

/** A compiled module of src/ by its path there (`ledger/sqlite.js`), as a file URL; checked too. */
export function builtModuleUrl(pathUnderSrc: string): string {
  assertFreshBuild();
  return pathToFileURL(join(DIST, pathUnderSrc)).href;
}

// once per test process: src/ does not change under a running suite
let checked: string | null | undefined;

function assertFreshBuild(): void {
  checked ??= staleBuild();
  if (checked !== null) {
    throw new Error(`dist/ does not match src/ (${checked}): run \`npm run build\` first`);
  }
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
