import { describe, expect, it } from "vitest";
import { groupAttribution, type VoterOutage } from "../../src/quorum/attribution.js";

const own = (vantage: string): VoterOutage => ({ vantage, blockedBy: null, settled: true });
const waiting = (vantage: string): VoterOutage => ({ vantage, blockedBy: null, settled: false });
const blocked = (vantage: string, by: string): VoterOutage => ({
  vantage,
  blockedBy: by,
  settled: true,
});

describe("a group outage's attribution follows its down vantages", () => {
  const coreDown = (id: string) => id === "core";
  it.each([
    [
      "two of three blocked by the core",
      [blocked("a", "core"), blocked("b", "core"), own("c")],
      2,
      "core",
      true,
    ],
    [
      "one blocked is short of a quorum; two own page",
      [blocked("a", "core"), own("b"), own("c")],
      2,
      null,
      true,
    ],
    ["two own: its own outage, paged", [own("a"), own("b")], 2, null, true],
    [
      "waiting could still make a blocked quorum: held",
      [blocked("a", "core"), waiting("b"), own("c")],
      2,
      null,
      false,
    ],
    ["every vantage waiting: held", [waiting("a"), waiting("b")], 2, null, false],
    ["one waiting cannot make two with no block: paged", [own("a"), waiting("b")], 2, null, true],
    [
      "blocked by an upstream the group does not see down: its own",
      [blocked("a", "dns"), blocked("b", "dns")],
      2,
      null,
      true,
    ],
    [
      "min_down 1: one blocked vantage is enough",
      [blocked("a", "core"), own("b")],
      1,
      "core",
      true,
    ],
    ["no outage rows (read before they were written): its own", [], 2, null, true],
  ] as const)("%s", (_, outages, need, blockedBy, settled) => {
    expect(groupAttribution(outages, need, coreDown)).toEqual({ blockedBy, settled });
  });

  it("names the upstream most vantages are blocked by; ties by id", () => {
    const down = () => true;
    const outages = [
      blocked("a", "db"),
      blocked("b", "core"),
      blocked("c", "db"),
      blocked("d", "core"),
    ];
    expect(groupAttribution(outages, 2, down)).toEqual({ blockedBy: "core", settled: true });
    expect(groupAttribution([...outages, blocked("e", "db")], 2, down).blockedBy).toBe("db");
  });
});
