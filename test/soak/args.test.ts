import { describe, expect, it } from "vitest";
import { parseSoakArgs } from "./args.js";

describe("npm run soak arguments", () => {
  it("defaults to 3 minutes of 2,000 targets and takes the seed from SOAK_SEED", () => {
    expect(parseSoakArgs([], { SOAK_SEED: "7" }, 99)).toEqual({
      minutes: 3,
      targets: 2000,
      seed: 7,
    });
    expect(parseSoakArgs(["--minutes", "30", "--targets", "500"], {}, 99)).toEqual({
      minutes: 30,
      targets: 500,
      seed: 99,
    });
  });

  it.each([
    [["--minutes", "0"], '--minutes: "0" is not a positive integer'],
    [["--minutes", "1.5"], '--minutes: "1.5" is not a positive integer'],
    [["--targets", "many"], '--targets: "many" is not a positive integer'],
    [["--seed=-3"], '--seed: "-3" is not a positive integer'],
    [["--minutes"], "Option '--minutes <value>' argument missing"],
    [["--hours", "1"], "Unknown option '--hours'"],
  ])("rejects %j", (argv, error) => {
    const parsed = parseSoakArgs(argv, {}, 1);
    expect("error" in parsed && parsed.error).toContain(error);
  });

  it("rejects a bad SOAK_SEED by the flag it stands for", () => {
    expect(parseSoakArgs([], { SOAK_SEED: "x" }, 1)).toEqual({
      error: '--seed: "x" is not a positive integer',
    });
  });
});
