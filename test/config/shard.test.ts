import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { inShard, parseShard, type Shard, shardOf } from "../../src/config/shard.js";
import { formatConfigIssue } from "../../src/fields/errors.js";

const FILE = "pantau.yaml";

/**
 * What Debian's Prometheus 2.42 put in `shard4` / `shardbig` for a static target labelled
 * `target: ID` with `action: hashmod, source_labels: [target], modulus: 4` (and 1000003), read
 * from its /api/v1/targets (the e2e test shard-prometheus checks more ids against a live one).
 */
const PROMETHEUS_HASHMOD: [string, number, number][] = [
  ["simkim-core", 0, 541528],
  ["portal-imigrasi", 2, 666459],
  ["autogate-cgk", 1, 519954],
  ["autogate-dps", 2, 682036],
  ["evisa", 3, 594757],
  ["t-0", 0, 201026],
];

const ids = Array.from({ length: 200 }, (_, i) => `target-${i}`);

function configText(targetIds: readonly string[], global = ""): string {
  const targets = targetIds.map((id) => `  - { id: ${id}, tcp: { host: 127.0.0.1, port: 9 } }`);
  return `${global}targets:\n${targets.join("\n")}\n`;
}

function shardIds(text: string, shard: Shard | null = null): string[] {
  const result = parseConfig(text, FILE, {}, { hostname: "h", shard });
  if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
  return result.config.targets.map((t) => t.id);
}

function issues(text: string): string[] {
  const result = parseConfig(text, FILE, {}, { hostname: "h" });
  return result.ok ? [] : result.issues.map(formatConfigIssue);
}

describe("shard assignment", () => {
  it.each(PROMETHEUS_HASHMOD)("%s falls where Prometheus hashmod puts it", (id, of4, ofBig) => {
    expect(shardOf(id, 4)).toBe(of4);
    expect(shardOf(id, 1_000_003)).toBe(ofBig);
  });

  it("puts every id in exactly one of four shards, each getting a share", () => {
    const shards = [0, 1, 2, 3].map((index) =>
      ids.filter((id) => inShard(id, { index, count: 4 })),
    );
    expect(shards.flat().sort()).toEqual([...ids].sort());
    for (const shard of shards) expect(shard.length).toBeGreaterThan(30);
  });

  it("one shard of one is everything", () => {
    expect(ids.every((id) => inShard(id, { index: 0, count: 1 }))).toBe(true);
  });

  it("keeps the same shard for every target when the file is reordered", () => {
    const reversed = [...ids].reverse();
    for (const index of [0, 1, 2, 3]) {
      const shard = { index, count: 4 };
      const forward = shardIds(configText(ids), shard).sort();
      expect(shardIds(configText(reversed), shard).sort()).toEqual(forward);
      expect(forward).toEqual(ids.filter((id) => shardOf(id, 4) === index).sort());
    }
  });

  it("filters after each expansion; depends_on and canaries are validated over the whole file", () => {
    const text = `global: { canaries: [gw-0, gw-1], shard: { index: 1, count: 4 } }
targets:
  - id: gw-{n}
    each: [{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }, { n: 7 }]
    tcp: { host: 127.0.0.1, port: 9 }
    depends_on: [core]
  - { id: core, tcp: { host: 127.0.0.1, port: 9 } }
`;
    const result = parseConfig(text, FILE, {}, { hostname: "h" });
    if (!result.ok) throw new Error(result.issues.map(formatConfigIssue).join("\n"));
    const all = ["core", ...Array.from({ length: 8 }, (_, i) => `gw-${i}`)];
    const local = all.filter((id) => shardOf(id, 4) === 1);
    expect(result.config.targets.map((t) => t.id).sort()).toEqual(local.sort());
    expect(result.config.targetsInFile).toBe(9);
    expect(result.config.global.shard).toEqual({ index: 1, count: 4 });
    // only the shard's own canaries can tell it is blind
    expect(result.config.global.canaries).toEqual(
      ["gw-0", "gw-1"].filter((id) => local.includes(id)),
    );
  });

  it("--shard replaces global.shard", () => {
    const text = configText(ids, "global: { shard: { index: 0, count: 2 } }\n");
    expect(shardIds(text, { index: 3, count: 4 })).toEqual(
      ids.filter((id) => shardOf(id, 4) === 3),
    );
  });
});

describe("shard config errors", () => {
  it.each([
    [
      "global:\n  shard: { index: 4, count: 4 }\n",
      "pantau.yaml:2:19: global.shard.index: 4 must be less than count 4 (shards are numbered from 0)",
    ],
    [
      "global:\n  shard: { index: -1, count: 4 }\n",
      "pantau.yaml:2:19: global.shard.index: must be at least 0",
    ],
    [
      "global:\n  shard: { index: 0, count: 0 }\n",
      "pantau.yaml:2:29: global.shard.count: must be at least 1",
    ],
    [
      "global:\n  shard: { index: 0 }\n",
      'pantau.yaml:2:10: global.shard: missing required key "count"',
    ],
    [
      "global:\n  shard: { index: 0, count: 2, of: 3 }\n",
      'pantau.yaml:2:32: global.shard.of: unknown key "of"',
    ],
    [
      "global:\n  ha_group: jakarta\n",
      "pantau.yaml:2:13: global.ha_group: needs storage.url: the pair elects its leader and shares its ledger in PostgreSQL",
    ],
  ])("%j", (global, expected) => {
    expect(issues(`${global}${configText(["a"])}`)).toEqual([expected]);
  });

  it("accepts ha_group with storage.url", () => {
    const text = `global: { ha_group: jakarta }\nstorage: { url: "postgres://u@127.0.0.1/db" }\n${configText(["a"])}`;
    expect(issues(text)).toEqual([]);
  });
});

describe("parseShard (--shard)", () => {
  it.each([
    ["2/4", { index: 2, count: 4 }],
    ["0/1", { index: 0, count: 1 }],
    ["4/4", '"4/4": index must be less than count (shards are numbered 0 to 3)'],
    ["0/0", '"0/0": count must be at least 1'],
    ["1", '"1" is not INDEX/COUNT (e.g. 0/4; shards are numbered from 0)'],
    ["-1/4", '"-1/4" is not INDEX/COUNT (e.g. 0/4; shards are numbered from 0)'],
    ["a/b", '"a/b" is not INDEX/COUNT (e.g. 0/4; shards are numbered from 0)'],
  ])("%s", (text, expected) => {
    expect(parseShard(text)).toEqual(expected);
  });
});
