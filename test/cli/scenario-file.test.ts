import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_SCENARIO, scenarioFile } from "../../src/cli/scenario-file.js";
import { parseFlags } from "../../src/cli/simulate.js";

/** --scenario of `demo` and `simulate`: a file from the working directory, else a shipped one. */

const elsewhere = mkdtempSync(join(tmpdir(), "pantau-scenario-cwd-"));
afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

describe("scenarioFile", () => {
  it.each([
    ["pdns-2024"],
    ["pdns-2024.yaml"],
    ["config/scenarios/pdns-2024.yaml"], // the repository's path, typed in another directory
  ])("finds the shipped scenario for %j from another directory", (given) => {
    expect(scenarioFile(given, elsewhere)).toEqual({ file: DEFAULT_SCENARIO });
  });

  it("takes a file that exists from the working directory first", () => {
    writeFileSync(join(elsewhere, "pdns-2024.yaml"), "mine\n");
    expect(scenarioFile("pdns-2024.yaml", elsewhere)).toEqual({
      file: join(elsewhere, "pdns-2024.yaml"),
    });
    rmSync(join(elsewhere, "pdns-2024.yaml"));
  });

  it.each([
    [
      "pdns-2042.yaml",
      `--scenario: no file ${join(elsewhere, "pdns-2042.yaml")}, and no shipped scenario named "pdns-2042" (shipped: pdns-2024); did you mean "pdns-2024"?`,
    ],
    [
      "/nowhere/pdns-2024.yaml", // an absolute path means that file, never a shipped one
      "--scenario: no file /nowhere/pdns-2024.yaml",
    ],
    [
      "outage.yaml",
      `--scenario: no file ${join(elsewhere, "outage.yaml")}, and no shipped scenario named "outage" (shipped: pdns-2024)`,
    ],
  ])("says what is wrong with %j", (given, error) => {
    expect(scenarioFile(given, elsewhere)).toEqual({ error });
  });
});

describe("pantau simulate --scenario", () => {
  it("plays a shipped scenario by name", () => {
    const options = parseFlags({ scenario: "pdns-2024" });
    expect(typeof options === "string" ? options : options.scenarioFile).toBe(DEFAULT_SCENARIO);
  });
});
