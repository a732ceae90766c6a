/** The layers of src/, kept: imports run one way, the pure rooms stay pure, no file cycles. */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  forbiddenImports,
  type ImportGraph,
  importCycles,
  type LayerRule,
  readImportGraph,
} from "./layer-check.js";

/** Rooms that do I/O (network, files, processes, the ledger) or wire those that do. */
const IO_ROOMS = [
  "src/ledger/",
  "src/probe/",
  "src/expose/",
  "src/engine/",
  "src/daemon/",
  "src/cli/",
  "src/fleet/",
  "src/sim/",
  "src/alert/",
  "src/log/",
  "src/quorum/",
];
/** Node's network, file and process modules, and the packages that reach a network or a file. */
const IO_MODULES = [
  "node:net",
  "node:tls",
  "node:http",
  "node:https",
  "node:http2",
  "node:dns",
  "node:dns/promises",
  "node:fs",
  "node:fs/promises",
  "node:child_process",
  "node:dgram",
  "undici",
  "pg",
  "better-sqlite3",
  "pino",
];

/** One line a rule; a new room (alert/, log/, text/) joins a list or adds a line. */
const RULES: LayerRule[] = [
  {
    name: "health/ and schedule/ are pure: no I/O room, no config/ (it resolves into their types), no node: network or fs",
    from: ["src/health/", "src/schedule/"],
    forbid: [...IO_ROOMS, ...IO_MODULES, "src/config/"],
  },
  {
    name: "probe/ does not reach up to config/, engine/, ledger/ or expose/ (its fields come from fields/)",
    from: ["src/probe/"],
    forbid: ["src/config/", "src/engine/", "src/ledger/", "src/expose/"],
  },
  {
    name: "fields/ is the vocabulary of a configuration: it imports no other room",
    from: ["src/fields/"],
    forbid: ["src/"],
    allow: ["src/fields/"],
  },
  {
    name: "only cli/ imports cli/",
    from: ["src/"],
    except: ["src/cli/"],
    forbid: ["src/cli/"],
  },
  {
    name: "only cli/ imports daemon/ (and daemon/ itself)",
    from: ["src/"],
    except: ["src/cli/", "src/daemon/"],
    forbid: ["src/daemon/"],
  },
  {
    // alerting and logging read committed facts; what answers HTTP and what wires are above them
    name: "alert/ and log/ import neither expose/, cli/ nor daemon/",
    from: ["src/alert/", "src/log/"],
    forbid: ["src/expose/", "src/cli/", "src/daemon/"],
  },
  {
    // fleet/ may import log/ (its own room for this): it never reaches up to what answers HTTP
    name: "fleet/ logs through log/, never reaching up to expose/",
    from: ["src/fleet/"],
    forbid: ["src/expose/"],
  },
  {
    name: "text/ is shared formatting: it imports no other room",
    from: ["src/text/"],
    forbid: ["src/"],
    allow: ["src/text/"],
  },
  {
    name: "ledger/ (and its figures) read and write the record: they never reach up to report/ or expose/",
    from: ["src/ledger/"],
    forbid: ["src/report/", "src/expose/", "src/engine/", "src/cli/"],
  },
  {
    // a prober kind is one file, config and prober together: config reads kinds from the registry only
    name: "config/ reads prober kinds through probe/registry.ts only",
    from: ["src/config/"],
    forbid: ["src/probe/"],
    allow: ["src/probe/registry.ts"],
  },
];

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("src/ keeps its layers", () => {
  const graph = readImportGraph(ROOT, "src");

  it("reads the whole of src/", () => {
    // a graph that missed the files or their imports would pass every rule
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get("src/probe/tcp.ts")).toContain("src/probe/run.ts");
    expect(graph.get("src/health/maintenance.ts")).toContain("croner");
  });

  it("has no import cycle", () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it("has no import a rule forbids", () => {
    expect(forbiddenImports(graph, RULES)).toEqual([]);
  });
});

describe("the layer checker", () => {
  const fake: ImportGraph = new Map([
    ["src/health/decide.ts", ["src/health/types.ts", "node:fs/promises"]],
    ["src/health/types.ts", ["src/config/types.ts"]],
    ["src/config/types.ts", ["src/config/shard.ts"]],
    ["src/config/shard.ts", ["src/config/load.ts", "node:crypto"]],
    ["src/config/load.ts", ["src/config/types.ts", "yaml"]],
    ["src/engine/engine.ts", ["src/engine/engine.ts", "src/daemon/daemon.ts"]],
    ["src/daemon/daemon.ts", ["src/engine/engine.ts"]],
    ["src/cli/run.ts", ["src/daemon/daemon.ts"]],
  ]);

  it("names each cycle by its path, from its first file back to it", () => {
    expect(importCycles(fake)).toEqual([
      "cycle: src/config/load.ts -> src/config/types.ts -> src/config/shard.ts -> src/config/load.ts",
      "cycle: src/daemon/daemon.ts -> src/engine/engine.ts -> src/daemon/daemon.ts",
    ]);
  });

  it("finds a file that imports itself", () => {
    expect(importCycles(new Map([["src/a.ts", ["src/a.ts"]]]))).toEqual([
      "cycle: src/a.ts -> src/a.ts",
    ]);
  });

  it("finds none in a graph without one, however long", () => {
    const chain = new Map(
      Array.from({ length: 20_000 }, (_, i) => [`src/f${i}.ts`, [`src/f${i + 1}.ts`]]),
    );
    expect(importCycles(chain)).toEqual([]);
  });

  it("names the file, what it imports and the rule it breaks", () => {
    expect(forbiddenImports(fake, RULES)).toEqual([
      "src/health/decide.ts imports node:fs/promises: health/ and schedule/ are pure: no I/O room, no config/ (it resolves into their types), no node: network or fs",
      "src/health/types.ts imports src/config/types.ts: health/ and schedule/ are pure: no I/O room, no config/ (it resolves into their types), no node: network or fs",
      "src/engine/engine.ts imports src/daemon/daemon.ts: only cli/ imports daemon/ (and daemon/ itself)",
    ]);
  });

  it("lets fleet/ import log/, and stops alert/, log/ and fleet/ reaching up", () => {
    const graph = new Map([
      [
        "src/fleet/ha-member.ts",
        ["src/log/logger.ts", "src/alert/notifier.ts", "src/expose/log.ts"],
      ],
      [
        "src/alert/notifier.ts",
        ["src/log/logger.ts", "src/engine/engine.ts", "src/expose/metrics.ts"],
      ],
      ["src/log/engine-log.ts", ["src/engine/engine.ts", "src/cli/run.ts", "src/daemon/daemon.ts"]],
    ]);
    const rule = {
      up: "alert/ and log/ import neither expose/, cli/ nor daemon/",
      fleet: "fleet/ logs through log/, never reaching up to expose/",
    };
    expect(forbiddenImports(graph, RULES)).toEqual([
      `src/fleet/ha-member.ts imports src/expose/log.ts: ${rule.fleet}`,
      `src/alert/notifier.ts imports src/expose/metrics.ts: ${rule.up}`,
      "src/log/engine-log.ts imports src/cli/run.ts: only cli/ imports cli/",
      "src/log/engine-log.ts imports src/daemon/daemon.ts: only cli/ imports daemon/ (and daemon/ itself)",
      `src/log/engine-log.ts imports src/cli/run.ts: ${rule.up}`,
      `src/log/engine-log.ts imports src/daemon/daemon.ts: ${rule.up}`,
    ]);
  });

  it("matches a folder by prefix and a file or module exactly, and lets `allow` through", () => {
    const rule: LayerRule = {
      name: "r",
      from: ["src/a/"],
      forbid: ["src/b/", "node:fs"],
      allow: ["src/b/door.ts"],
    };
    const graph = new Map([
      ["src/a/x.ts", ["src/b/y.ts", "src/bb/z.ts", "node:fs", "node:fs/promises", "src/b/door.ts"]],
      ["src/ab/x.ts", ["src/b/y.ts"]],
    ]);
    expect(forbiddenImports(graph, [rule])).toEqual([
      "src/a/x.ts imports src/b/y.ts: r",
      "src/a/x.ts imports node:fs: r",
    ]);
  });
});
