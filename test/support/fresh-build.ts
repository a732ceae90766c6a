/**
 * A vitest globalSetup (both configs). Child-process tests run the built CLI (built-cli.ts), so
 * dist/ must be what src/ says. Under `npm test` and `npm run test:e2e` a stale dist/ is built
 * first (the full tsc build: ~12 s of CPU, where the check takes ~10 ms). A run of chosen files
 * (`npx vitest run …`) does not pay for it: it says so here, each test that would run dist/
 * fails saying so, and the others run.
 */
import { spawnSync } from "node:child_process";
import { ROOT, staleBuild } from "./built-cli.js";

export default function setup(): void {
  const stale = staleBuild();
  if (stale === null) return;
  if (!process.env.npm_lifecycle_event?.startsWith("test")) {
    console.log(`fresh-build: ${stale}: tests that run the CLI will fail; run npm run build`);
    return;
  }
  const started = performance.now();
  console.log(`fresh-build: ${stale}: building dist/ (npm run build)`);
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) {
    throw new Error(
      `fresh-build: npm run build failed (${build.status}):\n${build.stdout}${build.stderr}`,
    );
  }
  const after = staleBuild();
  if (after !== null) throw new Error(`fresh-build: dist/ is still stale after building: ${after}`);
  console.log(`fresh-build: built in ${Math.round(performance.now() - started)} ms`);
}
