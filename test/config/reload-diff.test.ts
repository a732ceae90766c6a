import { describe, expect, it } from "vitest";
import { haPairChange, targetChanges } from "../../src/config/reload-diff.js";
import type { Config } from "../../src/config/types.js";
import { makeTarget } from "../support/targets.js";

describe("targetChanges", () => {
  const a = makeTarget("a");
  const b = makeTarget("b", { dependsOn: ["a"] });
  const c = makeTarget("c");

  it.each([
    { name: "nothing changed", before: [a, b], after: [a, b], expected: [[], [], [], []] },
    {
      name: "an id added, in the file's order",
      before: [a],
      after: [c, a],
      expected: [["c"], [], [], ["c"]],
    },
    { name: "an id removed", before: [a, b], after: [a], expected: [[], [], ["b"], []] },
    {
      name: "a setting deep inside changed",
      before: [a, b],
      after: [a, { ...b, probe: { ...b.probe, maxBody: 1 } }],
      expected: [[], ["b"], [], ["b"]],
    },
    {
      name: "the same settings written in another key order are no change",
      before: [a],
      after: [Object.fromEntries(Object.entries(a).reverse()) as typeof a],
      expected: [[], [], [], []],
    },
    {
      name: "a list's order is a change (depends_on order is kept)",
      before: [{ ...b, dependsOn: ["a", "c"] }],
      after: [{ ...b, dependsOn: ["c", "a"] }],
      expected: [[], ["b"], [], ["b"]],
    },
  ])("$name", ({ before, after, expected }) => {
    const changes = targetChanges(before, after);
    expect([
      changes.added,
      changes.changed,
      changes.removed,
      changes.apply.map((t) => t.id),
    ]).toEqual(expected);
  });
});

describe("haPairChange", () => {
  const config = (haGroup: string | null, shard: Config["global"]["shard"] = null) =>
    ({ file: "pantau.yaml", global: { instance: "jkt-1", haGroup, shard } }) as Config;

  it.each([
    [null, null, null],
    ["jkt", "jkt", null],
    [
      null,
      "jkt",
      "the HA pair is none, the file says jkt: changing ha_group or shard of an HA member takes a restart",
    ],
    [
      "jkt",
      "dps",
      "the HA pair is jkt, the file says dps: changing ha_group or shard of an HA member takes a restart",
    ],
  ])("%s → %s", (running, next, message) => {
    const issue = haPairChange(config(running), config(next));
    expect(issue?.message ?? null).toBe(message);
    if (issue) expect(issue).toMatchObject({ code: "CONFIG_INVALID", path: "global.ha_group" });
  });

  it("names a sharded pair with its shard", () => {
    const issue = haPairChange(
      config("jkt", { index: 0, count: 2 }),
      config("jkt", { index: 1, count: 2 }),
    );
    expect(issue?.message).toContain("the HA pair is jkt/0/2, the file says jkt/1/2");
  });
});
