import { describe, expect, it } from "vitest";
import {
  type Attribution,
  attributeOutages,
  attributionChanges,
  type DependencyNode,
  mayHaveCaused,
  pendingUpstreams,
  type UpstreamVerdict,
} from "../../src/health/attribution.js";
import type { TargetState } from "../../src/health/types.js";

/** 20 June 2024 00:00 UTC, the PDNS 2 incident day. */
const T0 = Date.UTC(2024, 5, 20);
const at = (seconds: number): number => T0 + seconds * 1000;

/**
 * A target down since `seconds` after T0 (its first failed probe), last seen healthy
 * `lastOkSeconds` after T0 (default: one 10 s interval before; null: never seen healthy).
 */
function down(
  id: string,
  seconds: number,
  dependsOn: string[] = [],
  lastOkSeconds: number | null = seconds - 10,
): DependencyNode {
  const lastOkAt = lastOkSeconds === null ? null : at(lastOkSeconds);
  return { id, dependsOn, state: "down", downSince: at(seconds), lastOkAt };
}

/** A target that is not down, last seen healthy `lastOkSeconds` after T0. */
function notDown(
  id: string,
  state: Exclude<TargetState, "down">,
  dependsOn: string[] = [],
  lastOkSeconds: number | null = null,
): DependencyNode {
  const lastOkAt = lastOkSeconds === null ? null : at(lastOkSeconds);
  return { id, dependsOn, state, downSince: null, lastOkAt };
}

/** The attribution as a plain object, so a failure prints readably and key order is ignored. */
function attributed(nodes: readonly DependencyNode[]): Record<string, string | null> {
  return Object.fromEntries(attributeOutages(nodes));
}

const AUTOGATES = [
  "autogate-cgk-1",
  "autogate-cgk-2",
  "autogate-cgk-3",
  "autogate-cgk-4",
  "autogate-dps-1",
  "autogate-dps-2",
  "autogate-kno-1",
  "autogate-sub-1",
];

interface AttributionCase {
  name: string;
  nodes: DependencyNode[];
  /** blocked_by for every down target, and nothing else. */
  expected: Record<string, string | null>;
}

const cases: AttributionCase[] = [
  {
    name: "simple chain: the dependant is blocked by its upstream",
    nodes: [down("core", 0), down("portal", 5, ["core"])],
    expected: { core: null, portal: "core" },
  },
  {
    name: "dependant detected first, upstream's outage started earlier: attributed",
    // the portal crossed its threshold first; the core, with a higher threshold, was detected
    // later but its first failure (its `at`) is earlier
    nodes: [down("portal", 10, ["core"]), down("core", 4)],
    expected: { portal: "core", core: null },
  },
  {
    name: "upstream and dependant start in the same ms: attributed",
    nodes: [down("core", 7), down("portal", 7, ["core"])],
    expected: { core: null, portal: "core" },
  },
  {
    name: "upstream started after the dependant: not the cause",
    nodes: [down("core", 20), down("portal", 10, ["core"])],
    expected: { core: null, portal: null },
  },
  {
    name: "upstream recovered first: the dependant's outage is its own",
    nodes: [notDown("core", "up"), down("portal", 10, ["core"])],
    expected: { portal: null },
  },
  {
    name: "degraded or unknown upstream is not a cause",
    nodes: [
      notDown("core", "degraded"),
      notDown("idp", "unknown"),
      down("portal", 10, ["core", "idp"]),
    ],
    expected: { portal: null },
  },
  {
    name: "up dependants are not listed",
    nodes: [down("core", 0), notDown("portal", "up", ["core"]), notDown("evisa", "unknown")],
    expected: { core: null },
  },
  {
    name: "two roots: the earliest start wins",
    nodes: [down("core", 3), down("idp", 1), down("portal", 10, ["core", "idp"])],
    expected: { core: null, idp: null, portal: "idp" },
  },
  {
    name: "two roots starting together: the smaller id wins",
    nodes: [down("idp", 1), down("core", 1), down("portal", 10, ["idp", "core"])],
    expected: { core: null, idp: null, portal: "core" },
  },
  {
    name: "two roots, the earlier one started after the dependant: the other is named",
    nodes: [down("core", 12), down("idp", 8), down("portal", 10, ["core", "idp"])],
    expected: { core: null, idp: null, portal: "idp" },
  },
  {
    name: "diamond: every path leads to the same root",
    nodes: [
      down("core", 0),
      down("api-a", 5, ["core"]),
      down("api-b", 3, ["core"]),
      down("app", 9, ["api-a", "api-b"]),
    ],
    expected: { core: null, "api-a": "core", "api-b": "core", app: "core" },
  },
  {
    name: "diamond whose top failed last: the earlier of the two middles",
    nodes: [
      down("core", 20),
      down("api-a", 5, ["core"]),
      down("api-b", 3, ["core"]),
      down("app", 9, ["api-a", "api-b"]),
    ],
    expected: { core: null, "api-a": null, "api-b": null, app: "api-b" },
  },
  {
    name: "three levels, all down: the top is named even though the middle is down too",
    nodes: [down("top", 0), down("middle", 2, ["top"]), down("bottom", 4, ["middle"])],
    expected: { top: null, middle: "top", bottom: "top" },
  },
  {
    name: "three levels, middle failed before the top: the middle is its own root",
    // the top was seen healthy at 1 s, after the middle's first failed probe
    nodes: [down("top", 2, [], 1), down("middle", 0, ["top"]), down("bottom", 4, ["middle"])],
    expected: { top: null, middle: null, bottom: "middle" },
  },
  {
    name: "three levels, top started after the bottom: only the middle qualifies",
    // the top was seen healthy at 5 s, after both failed
    nodes: [down("top", 6, [], 5), down("middle", 2, ["top"]), down("bottom", 4, ["middle"])],
    expected: { top: null, middle: null, bottom: "middle" },
  },
  {
    name: "the search goes on through an up middle tier",
    nodes: [down("top", 0), notDown("middle", "up", ["top"]), down("bottom", 4, ["middle"])],
    expected: { top: null, bottom: "top" },
  },
  {
    name: "unknown ids and self-references are ignored",
    nodes: [down("core", 0, ["core", "ghost"]), down("portal", 5, ["ghost", "core", "core"])],
    expected: { core: null, portal: "core" },
  },
  {
    name: "a down target without a start neither blocks nor is blocked",
    nodes: [
      { id: "core", dependsOn: [], state: "down", downSince: null, lastOkAt: null },
      down("portal", 5, ["core"]),
      down("idp", 0),
      { id: "sso", dependsOn: ["idp"], state: "down", downSince: null, lastOkAt: null },
    ],
    expected: { core: null, portal: null, idp: null, sso: null },
  },
  // sampling: a failure began after the last probe that did not fail, not at the first that did
  {
    name: "a data centre goes dark: the dependant's first failed probe fell before the core's",
    // core probed ok at 1, failed at 7; portal ok at -5, failed at 3: both may have failed at 2
    nodes: [down("core", 7, [], 1), down("portal", 3, ["core"], -5)],
    expected: { core: null, portal: "core" },
  },
  {
    name: "the upstream was seen healthy after the dependant's first failed probe: not the cause",
    nodes: [down("core", 8, [], 5), down("portal", 3, ["core"])],
    expected: { core: null, portal: null },
  },
  {
    name: "seen healthy by a probe starting in the same ms as the dependant's failed one: cleared",
    nodes: [down("core", 8, [], 3), down("portal", 3, ["core"])],
    expected: { core: null, portal: null },
  },
  {
    name: "an upstream never seen healthy (first probe of a run failed) may be the cause",
    nodes: [down("core", 20, [], null), down("portal", 3, ["core"])],
    expected: { core: null, portal: "core" },
  },
  {
    name: "a dependant never seen healthy is still judged by its first failed probe",
    nodes: [down("core", 5, [], 4), down("portal", 3, ["core"], null)],
    expected: { core: null, portal: null },
  },
  {
    name: "a cycle (forbidden by the config) ends: members in id order, back edges ignored",
    nodes: [down("b", 0, ["a"]), down("a", 0, ["b"]), down("c", 1, ["b"])],
    expected: { a: null, b: "a", c: "a" },
  },
  {
    name: "June 2024: the core took the portal, e-visa and every airport's autogates down",
    nodes: [
      down("simkim-core", 100),
      down("www-imigrasi", 130, ["simkim-core"]),
      // e-visa reaches the core only through the portal
      down("evisa", 125, ["www-imigrasi"]),
      ...AUTOGATES.map((id, index) => down(id, 100 + index * 7, ["simkim-core"])),
      notDown("mail", "up"),
    ],
    expected: {
      "simkim-core": null,
      "www-imigrasi": "simkim-core",
      evisa: "simkim-core",
      ...Object.fromEntries(AUTOGATES.map((id) => [id, "simkim-core"])),
    },
  },
  {
    name: "June 2024 with an autogate already down before the core failed: its own outage",
    nodes: [
      down("simkim-core", 100),
      down("autogate-cgk-1", 40, ["simkim-core"]),
      down("autogate-cgk-2", 160, ["simkim-core"]),
    ],
    expected: { "simkim-core": null, "autogate-cgk-1": null, "autogate-cgk-2": "simkim-core" },
  },
];

describe("attributeOutages", () => {
  it.each(cases)("$name", ({ nodes, expected }) => {
    expect(attributed(nodes)).toStrictEqual(expected);
  });

  it.each(cases)("$name (nodes in reverse order, as a Map)", ({ nodes, expected }) => {
    const byId = new Map([...nodes].reverse().map((node) => [node.id, node]));
    expect(Object.fromEntries(attributeOutages(byId))).toStrictEqual(expected);
  });

  it("attributes a 2,000-target fan-out and a 2,000-deep chain", () => {
    const fanOut = [
      down("core", 0),
      ...Array.from({ length: 2000 }, (_, i) => down(`gate-${i}`, 1, ["core"])),
    ];
    const fanOutResult = attributeOutages(fanOut);
    expect(fanOutResult.size).toBe(2001);
    expect([...fanOutResult.values()].filter((blockedBy) => blockedBy === "core")).toHaveLength(
      2000,
    );
    const chain = Array.from({ length: 2000 }, (_, i) =>
      down(`tier-${i}`, i, i === 0 ? [] : [`tier-${i - 1}`]),
    );
    const chainResult = attributeOutages(chain);
    expect(chainResult.get("tier-0")).toBeNull();
    expect(chainResult.get("tier-1999")).toBe("tier-0");
  });
});

interface ChangeCase {
  name: string;
  before: Record<string, string | null>;
  after: Record<string, string | null>;
  expected: { targetId: string; blockedBy: string | null }[];
}

const toAttribution = (record: Record<string, string | null>): Attribution =>
  new Map(Object.entries(record));

const changeCases: ChangeCase[] = [
  {
    name: "nothing changed",
    before: { core: null, portal: "core" },
    after: { core: null, portal: "core" },
    expected: [],
  },
  {
    name: "a new own outage",
    before: {},
    after: { portal: null },
    expected: [{ targetId: "portal", blockedBy: null }],
  },
  {
    name: "the upstream detected after the dependant: both listed, sorted by id",
    before: { portal: null },
    after: { portal: "core", core: null },
    expected: [
      { targetId: "core", blockedBy: null },
      { targetId: "portal", blockedBy: "core" },
    ],
  },
  {
    name: "the upstream recovered: the dependant becomes its own, the upstream is not listed",
    before: { core: null, portal: "core" },
    after: { portal: null },
    expected: [{ targetId: "portal", blockedBy: null }],
  },
  {
    name: "the root moved to another upstream",
    before: { idp: null, core: null, portal: "idp" },
    after: { core: null, portal: "core" },
    expected: [{ targetId: "portal", blockedBy: "core" }],
  },
];

describe("attributionChanges", () => {
  it.each(changeCases)("$name", ({ before, after, expected }) => {
    expect(attributionChanges(toAttribution(before), toAttribution(after))).toStrictEqual(expected);
  });

  it("publishes the portal's re-attribution once its upstream's earlier start is known", () => {
    const portal = down("portal", 10, ["core"]);
    const first = attributeOutages([portal, notDown("core", "up")]);
    const second = attributeOutages([portal, down("core", 4)]);
    expect(attributionChanges(new Map(), first)).toStrictEqual([
      { targetId: "portal", blockedBy: null },
    ]);
    expect(attributionChanges(first, second)).toStrictEqual([
      { targetId: "core", blockedBy: null },
      { targetId: "portal", blockedBy: "core" },
    ]);
    expect(attributionChanges(second, attributeOutages([portal, down("core", 4)]))).toEqual([]);
  });
});

describe("pendingUpstreams", () => {
  /** An upstream: `verdict` "down" is committed down; otherwise last seen healthy at `lastOk`. */
  function upstream(
    id: string,
    dependsOn: string[],
    lastOkSeconds: number | null,
    downCommitted = false,
  ): UpstreamVerdict {
    return {
      id,
      dependsOn,
      downCommitted,
      lastOkAt: lastOkSeconds === null ? null : at(lastOkSeconds),
    };
  }

  const PENDING_CASES: { name: string; nodes: UpstreamVerdict[]; expected: string[] }[] = [
    {
      name: "failing below its threshold since before the dependant failed: pending",
      nodes: [upstream("core", [], 1)],
      expected: ["core"],
    },
    {
      name: "not probed since the dependant's first failed probe: pending",
      nodes: [upstream("core", [], 9)],
      expected: ["core"],
    },
    {
      name: "seen healthy after the dependant's first failed probe: not pending",
      nodes: [upstream("core", [], 11)],
      expected: [],
    },
    {
      name: "seen healthy by a probe starting in the same ms: not pending",
      nodes: [upstream("core", [], 10)],
      expected: [],
    },
    {
      name: "never seen healthy (no probe yet in this run): pending",
      nodes: [upstream("core", [], null)],
      expected: ["core"],
    },
    {
      name: "committed down: its verdict is in, attribution is settled",
      nodes: [upstream("core", [], 1, true)],
      expected: [],
    },
    {
      name: "through a healthy middle tier to a failing top, as attribution searches",
      nodes: [upstream("middle", ["top"], 12), upstream("top", [], 2)],
      expected: ["top"],
    },
    {
      name: "several pending, by id; unknown ids and cycles end the walk",
      nodes: [upstream("lb", ["core", "ghost"], null), upstream("core", ["lb"], 4)],
      expected: ["core", "lb"],
    },
  ];

  it.each(PENDING_CASES)("$name", ({ nodes, expected }) => {
    const byId = new Map(nodes.map((node) => [node.id, node]));
    const first = nodes[0]?.id ?? "";
    byId.set("portal", upstream("portal", [first], null));
    // the portal's first failed probe started at 10 s
    expect(pendingUpstreams("portal", at(10), byId)).toEqual(expected);
  });

  it.each([
    [null, 10, true],
    [9, 10, true],
    [10, 10, false],
    [11, 10, false],
    [9, null, false],
  ])("mayHaveCaused(lastOk %s, failed %s) = %s", (lastOk, failed, expected) => {
    expect(
      mayHaveCaused(lastOk === null ? null : at(lastOk), failed === null ? null : at(failed)),
    ).toBe(expected);
  });
});
