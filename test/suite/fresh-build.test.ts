/** The check that dist/ stands for src/ before child-process tests run it (built-cli.ts). */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { staleBuild } from "../support/built-cli.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-fresh-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A src/ and dist/ pair under `name`, every file at `at` (seconds) unless given. */
function tree(name: string, files: Record<string, number>): { src: string; dist: string } {
  const root = join(dir, name);
  for (const [path, at] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, "");
    utimesSync(file, at, at);
  }
  return { src: join(root, "src"), dist: join(root, "dist") };
}

describe("staleBuild", () => {
  it("is null when every source has an output at least as new", () => {
    const { src, dist } = tree("fresh", {
      "src/cli/main.ts": 100,
      "src/ledger/sqlite.ts": 100,
      "dist/cli/main.js": 200,
      "dist/ledger/sqlite.js": 100,
    });
    expect(staleBuild(src, dist)).toBeNull();
  });

  it("names a source newer than its output", () => {
    const { src, dist } = tree("edited", {
      "src/cli/main.ts": 100,
      "src/ledger/sqlite.ts": 300,
      "dist/cli/main.js": 200,
      "dist/ledger/sqlite.js": 200,
    });
    expect(staleBuild(src, dist)).toMatch(/src\/ledger\/sqlite\.ts is newer than .*sqlite\.js$/);
  });

  it("names a source without an output, and a missing build", () => {
    const added = tree("added", {
      "src/cli/main.ts": 100,
      "src/new.ts": 100,
      "dist/cli/main.js": 200,
    });
    expect(staleBuild(added.src, added.dist)).toMatch(/dist\/new\.js is missing$/);
    const none = tree("none", { "src/cli/main.ts": 100 });
    expect(staleBuild(none.src, none.dist)).toBe("dist/cli/main.js is missing");
  });
});
