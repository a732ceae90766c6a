import { describe, expect, it } from "vitest";
import { globMatcher, globsPattern } from "../../src/text/glob.js";

/** One glob matcher serves maintenance windows' `targets` and the simulator's scenarios. */

describe("glob", () => {
  it.each([
    ["autogate-*", "autogate-cgk", true],
    ["autogate-*", "autogate-", true],
    ["autogate-*", "xautogate-cgk", false],
    ["autogate-???", "autogate-cgk", true],
    ["autogate-???", "autogate-cgkx", false],
    ["a.b", "a.b", true],
    ["a.b", "axb", false],
    ["(x)|[y]+^$\\/", "(x)|[y]+^$\\/", true],
    ["*", "line\nbreak", true],
    ["exact", "exact", true],
    ["exact", "exactly", false],
  ])("%j matches %j: %s", (glob, id, matches) => {
    expect(globMatcher(glob)(id)).toBe(matches);
    expect(globsPattern([glob]).test(id)).toBe(matches);
  });

  it("matches any of several globs, each anchored on its own", () => {
    const pattern = globsPattern(["autogate-*", "portal"]);
    expect(
      ["autogate-dps", "portal", "portal-2", "x-portal"].filter((id) => pattern.test(id)),
    ).toEqual(["autogate-dps", "portal"]);
  });
});
