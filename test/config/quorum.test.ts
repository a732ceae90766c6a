import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { restartOnlyChanges } from "../../src/config/restart-only.js";
import type { Config } from "../../src/config/types.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

const STORAGE = 'storage: { url: "postgres://pantau@127.0.0.1/pantau" }\n';
const TARGETS = "targets:\n  - id: a\n    tcp: { host: 127.0.0.1, port: 1 }\n";

function parse(text: string) {
  return parseConfig(text, "pantau.yaml", { hostname: "jakarta-1" });
}

function config(text: string): Config {
  const result = parse(text);
  if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
  return result.config;
}

function issues(text: string): string[] {
  const result = parse(text);
  return result.ok ? [] : result.issues.map(formatConfigIssue);
}

describe("quorum config", () => {
  it.each([
    ["min_down: 2", { count: 2 }],
    ['min_down: "50%"', { percent: 50 }],
    ['min_down: "100%"', { percent: 100 }],
    ['min_down: "66.6%"', { percent: 66.6 }],
  ])("%s", (minDown, expected) => {
    const c = config(`quorum: { group: estate, ${minDown} }\n${STORAGE}${TARGETS}`);
    expect(c.quorum).toEqual({ group: "estate", minDown: expected, deadAfter: 15_000 });
  });

  it("dead_after defaults to three heartbeats, and may be set", () => {
    const storage = 'storage: { url: "postgres://pantau@127.0.0.1/pantau", heartbeat: 2s }\n';
    expect(
      config(`quorum: { group: estate, min_down: 2 }\n${storage}${TARGETS}`).quorum?.deadAfter,
    ).toBe(6000);
    expect(
      config(`quorum: { group: estate, min_down: 2, dead_after: 1m }\n${storage}${TARGETS}`).quorum
        ?.deadAfter,
    ).toBe(60_000);
  });

  it("is off without the key", () => {
    expect(config(`${STORAGE}${TARGETS}`).quorum).toBeNull();
  });

  it.each([
    [
      "quorum: { group: estate, min_down: 2 }\n",
      "pantau.yaml:1:1: quorum: needs storage.url: the vantages of a quorum share their ledger in PostgreSQL",
    ],
    [
      `quorum: { group: estate, min_down: 0 }\n${STORAGE}`,
      'pantau.yaml:1:36: quorum.min_down: 0 is not a count of vantages (2) or a percentage of the running ones ("50%", above 0 and at most 100)',
    ],
    [
      `quorum: { group: estate, min_down: "150%" }\n${STORAGE}`,
      'pantau.yaml:1:36: quorum.min_down: "150%" is not a count of vantages (2) or a percentage of the running ones ("50%", above 0 and at most 100)',
    ],
    [
      `quorum: { group: estate, min_down: half }\n${STORAGE}`,
      'pantau.yaml:1:36: quorum.min_down: "half" is not a count of vantages (2) or a percentage of the running ones ("50%", above 0 and at most 100)',
    ],
    [
      `quorum: { group: "the estate", min_down: 2 }\n${STORAGE}`,
      "pantau.yaml:1:18: quorum.group: letters, digits, '.', '_' and '-' only",
    ],
    [
      `quorum: { min_down: 2 }\n${STORAGE}`,
      'pantau.yaml:1:9: quorum: missing required key "group"',
    ],
    [
      `quorum: { group: estate, min_down: 2, vantages: 3 }\n${STORAGE}`,
      'pantau.yaml:1:39: quorum.vantages: unknown key "vantages"',
    ],
    [
      `quorum: { group: estate, min_down: 2 }\nglobal: { shard: { index: 0, count: 2 } }\n${STORAGE}`,
      "pantau.yaml:2:11: global.shard: a quorum vantage watches every target: shard the vantages' work with more vantages, not shards",
    ],
  ])("%j", (head, expected) => {
    expect(issues(`${head}${TARGETS}`)).toEqual([expected]);
  });

  it("takes a restart to join, leave or change", () => {
    const off = config(`${STORAGE}${TARGETS}`);
    const on = config(`quorum: { group: estate, min_down: 2 }\n${STORAGE}${TARGETS}`);
    const other = config(`quorum: { group: estate, min_down: "50%" }\n${STORAGE}${TARGETS}`);
    const messages = (a: Config, b: Config) =>
      restartOnlyChanges(a, b, { listenOverridden: false }).map((c) => c.message);
    expect(messages(off, on)).toEqual([
      'the running daemon uses no quorum, the file says group "estate", min_down 2, dead_after 15s: changing quorum takes a restart',
    ]);
    expect(messages(on, other)).toEqual([
      'the running daemon uses group "estate", min_down 2, dead_after 15s, the file says group "estate", min_down 50%, dead_after 15s: changing quorum takes a restart',
    ]);
    expect(messages(on, on)).toEqual([]);
  });
});
