import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SCENARIO } from "../../src/cli/demo.js";
import { runCli } from "../support/cli.js";

describe("pantau demo: flags", () => {
  it("finds the shipped scenario from the package, not the working directory", () => {
    expect(isAbsolute(DEFAULT_SCENARIO)).toBe(true);
    expect(DEFAULT_SCENARIO.endsWith("/config/scenarios/pdns-2024.yaml")).toBe(true);
    expect(existsSync(DEFAULT_SCENARIO)).toBe(true);
  });

  it.each([
    [["--speed", "0"], 2, 'pantau demo: --speed: "0" is not a number greater than 0\n'],
    [["--speed", "fast"], 2, 'pantau demo: --speed: "fast" is not a number greater than 0\n'],
    [
      ["--sim-base", "65530"],
      2,
      'pantau demo: --sim-base: "65530" is not a port with room for the estate after it\n',
    ],
    [
      ["--sim-base", "-1"],
      2,
      'pantau demo: --sim-base: "-1" is not a port with room for the estate after it\n',
    ],
    [
      ["--scenario", "nope.yaml"],
      2,
      `pantau demo: --scenario: no file ${join(process.cwd(), "nope.yaml")}, and no shipped scenario named "nope" (shipped: pdns-2024)\n`,
    ],
  ])("%j exits %d: %s", async (args, code, stderr) => {
    expect(await runCli(["demo", ...args])).toEqual({ code, stdout: "", stderr });
  });

  it("names the shipped scenario nearest a misspelt one, from any working directory", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "pantau-demo-cwd-"));
    try {
      expect(await runCli(["demo", "--scenario", "pdns-2042"], { cwd: elsewhere })).toEqual({
        code: 2,
        stdout: "",
        stderr: `pantau demo: --scenario: no file ${join(elsewhere, "pdns-2042")}, and no shipped scenario named "pdns-2042" (shipped: pdns-2024); did you mean "pdns-2024"?\n`,
      });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("--help says how time works in the demo", async () => {
    const result = await runCli(["demo", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Time in the demo:\n");
    expect(result.stdout).toContain("one clock scaled to the");
    expect(result.stdout).toContain("--speed is the average");
  });
});
