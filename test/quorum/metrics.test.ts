import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { TargetVotes } from "../../src/quorum/decider.js";
import { QuorumMetrics } from "../../src/quorum/metrics.js";
import { parsePromText } from "../support/prom-text.js";
import { makeTarget } from "../support/targets.js";

const gate = makeTarget("autogate-dps", { service: "autogate", site: "dps" });

function setup() {
  const registry = new Registry();
  const metrics = new QuorumMetrics(registry, "estate", { count: 2 }, (id) =>
    id === gate.id ? gate : undefined,
  );
  const series = async (name: string) =>
    parsePromText(await registry.metrics())
      .filter((s) => s.name === name)
      .map((s) => ({ ...s.labels, value: s.value }));
  return { metrics, series };
}

const votes = (...list: [string, TargetVotes["votes"][number]["vote"]][]) =>
  list.map(([vantage, vote]) => ({ vantage, vote, since: null }));

describe("the group's metrics", () => {
  it("show the committed group state, the votes and a disagreement naming the vantage", async () => {
    const { metrics, series } = setup();
    metrics.listener({ kind: "role", leader: true });
    metrics.listener({
      kind: "votes",
      targets: [
        {
          targetId: gate.id,
          state: "up",
          votes: votes(["cgk", "up"], ["dr", "down"], ["sub", "dead"]),
          counts: { members: 2, voters: 2, down: 1, impaired: 1 },
          blockedBy: null,
          waitingOn: [],
        },
      ],
    });
    expect(await series("pantau_quorum_decider")).toEqual([{ quorum_group: "estate", value: 1 }]);
    const labels = { quorum_group: "estate", target: gate.id, service: "autogate", site: "dps" };
    expect(await series("pantau_quorum_target_state")).toContainEqual({
      ...labels,
      state: "up",
      value: 1,
    });
    expect(await series("pantau_quorum_disagreement")).toEqual([
      { ...labels, vantage: "dr", value: 1 },
    ]);
    expect(await series("pantau_quorum_votes")).toEqual(
      expect.arrayContaining([
        { quorum_group: "estate", target: gate.id, vote: "down", value: 1 },
        { quorum_group: "estate", target: gate.id, vote: "dead", value: 1 },
        { quorum_group: "estate", target: gate.id, vote: "blind", value: 0 },
      ]),
    );
  });

  it("a group outage is no disagreement; blocked_by and pending follow; demotion clears all", async () => {
    const { metrics, series } = setup();
    metrics.listener({ kind: "role", leader: true });
    const down = (blockedBy: string | null, waitingOn: string[]) =>
      metrics.listener({
        kind: "votes",
        targets: [
          {
            targetId: gate.id,
            state: "down",
            votes: votes(["cgk", "down"], ["dr", "down"], ["sub", "up"]),
            counts: { members: 3, voters: 3, down: 2, impaired: 2 },
            blockedBy,
            waitingOn,
          },
        ],
      });
    down(null, ["simkim-core"]);
    expect(await series("pantau_quorum_disagreement")).toEqual([]);
    expect(await series("pantau_quorum_target_attribution_pending")).toEqual([
      { quorum_group: "estate", target: gate.id, dependency: "simkim-core", value: 1 },
    ]);
    down("simkim-core", []);
    expect(await series("pantau_quorum_target_attribution_pending")).toEqual([]);
    expect(await series("pantau_quorum_target_blocked_by")).toEqual([
      { quorum_group: "estate", target: gate.id, dependency: "simkim-core", value: 1 },
    ]);
    metrics.listener({ kind: "role", leader: false });
    expect(await series("pantau_quorum_decider")).toEqual([{ quorum_group: "estate", value: 0 }]);
    expect(await series("pantau_quorum_target_state")).toEqual([]);
    expect(await series("pantau_quorum_target_blocked_by")).toEqual([]);
  });
});
