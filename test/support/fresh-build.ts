/**
 * A vitest globalSetup (both configs): child-process tests run the built CLI (built-cli.ts), so
 * dist/ must be what src/ says. On a fresh clone `npm ci` builds it (`prepare`); after an edit
 * to src/ this builds it again before any test runs, and says so. A build that fails stops the
 * run with tsc's output.
 */
import { spawnSync } from "node:child_process";
import { ROOT, staleBuild } from "./built-cli.js";

export default function setup(): void {
  const stale = staleBuild();
  if (stale === null) return;
  const started = performance.now();
  console.log(`fresh-build: ${stale}: building dist/ (npm run build)`);
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) {
    throw new Error(
      `fresh-build: npm run build failed (${build.status}); child-process tests need dist/:\n${build.stdout}${build.stderr}`,
    );
  }
  const after = staleBuild();
  if (after !== null) throw new Error(`fresh-build: dist/ is still stale after building: ${after}`);
  console.log(`fresh-build: built in ${Math.round(performance.now() - started)} ms`);
}
