import { describe, expect, it } from "vitest";
import { closest, didYouMean, editDistance } from "../../src/text/suggest.js";

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["interval", "interval", 0],
    ["intervall", "interval", 1], // one insertion
    ["failur_threshold", "failure_threshold", 1],
    ["htpp", "http", 1], // two neighbours swapped
    ["GTE", "GET", 1],
    ["metod", "method", 1],
    ["kitten", "sitting", 3],
    ["", "tcp", 3],
  ])("%j → %j is %i", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe("closest", () => {
  const KEYS = ["interval", "timeout", "failure_threshold", "http", "tcp", "depends_on"];
  it.each([
    ["intervall", KEYS, "interval"],
    ["failur_threshold", KEYS, "failure_threshold"],
    ["htpp", KEYS, "http"],
    ["get", ["GET", "HEAD", "POST"], "GET"], // case is ignored
    ["ipv5", ["any", "ipv4", "ipv6"], "ipv4"], // the first on a tie
    ["tpc", KEYS, "tcp"],
    // too far to be a typo: nothing suggested
    ["simkim", ["simkim-core", "portal"], null],
    ["zzz", KEYS, null],
    ["htxx", KEYS, null], // 2 edits in a 4-letter word
    ["interval", KEYS, null], // the word itself is no suggestion
  ])("%j among %j is %j", (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });

  it("says it as a clause, or says nothing", () => {
    expect(didYouMean("intervall", KEYS)).toBe('; did you mean "interval"?');
    expect(didYouMean("zzz", KEYS)).toBe("");
  });
});
