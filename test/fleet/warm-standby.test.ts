import { describe, expect, it } from "vitest";
import type { CommittedState } from "../../src/engine/types.js";
import type { TargetSnapshot } from "../../src/engine/warm-standby-port.js";
import { adoption, takeover } from "../../src/fleet/warm-standby.js";
import { restoreHealth } from "../../src/health/state-machine.js";
import type { TargetState, Transition } from "../../src/health/types.js";
import type { StoredTransition } from "../../src/ledger/ledger.js";

const T0 = Date.UTC(2024, 5, 20);
const s = (seconds: number) => T0 + seconds * 1000;
const NOW = s(100);

function stored(id: number, from: TargetState, to: TargetState, at: number): StoredTransition {
  return {
    id,
    runId: 1,
    instance: "jkt",
    targetId: "portal",
    service: "",
    site: "",
    from,
    to,
    at,
    detectedAt: at + 1000,
    previousProbeAt: at - 10_000,
    reason: to === "down" ? "status" : null,
    detail: null,
    blockedBy: null,
    maintenance: false,
  };
}

const committedAt = (
  t: StoredTransition | null,
  blockedBy: string | null = null,
): CommittedState => ({
  state: t?.to ?? "unknown",
  since: t?.at ?? null,
  transition: t,
  blockedBy,
});

function snapshot(
  committed: CommittedState,
  own: { state: TargetState; since: number | null },
  warm?: Transition,
): TargetSnapshot {
  return { id: "portal", committed, health: restoreHealth(own.state, own.since), warm };
}

describe("adoption: the group's committed facts, as a standby takes them", () => {
  const down = stored(7, "up", "down", s(10));

  it("publishes what the leader committed since the last refresh, with the outage it ends", () => {
    const up = stored(8, "down", "up", s(50));
    const result = adoption(
      [snapshot(committedAt(down), { state: "down", since: s(10) })],
      [up],
      new Map(),
      NOW,
    );
    expect(result.fresh).toEqual([{ ...up, outageStart: s(10), waitingOn: [] }]);
    expect(result.states.get("portal")).toEqual(committedAt(up));
    expect(result.attributions).toEqual([]);
  });

  it("adopts a late change of attribution of an open outage, timed by this refresh", () => {
    const result = adoption(
      [snapshot(committedAt(down), { state: "down", since: s(10) })],
      [down],
      new Map([["portal", "simkim-core"]]),
      NOW,
    );
    expect(result.fresh).toEqual([]);
    expect(result.states.get("portal")?.blockedBy).toBe("simkim-core");
    expect(result.attributions).toEqual([
      { targetId: "portal", at: NOW, blockedBy: "simkim-core" },
    ]);
  });

  it("changes nothing when the view is the same", () => {
    const result = adoption(
      [snapshot(committedAt(down), { state: "down", since: s(10) })],
      [down],
      new Map(),
      NOW,
    );
    expect(result).toEqual({ states: new Map(), fresh: [], attributions: [] });
  });
});

describe("takeover: what a new leader writes", () => {
  const down = stored(7, "up", "down", s(10));
  const warmUp: Transition = {
    targetId: "portal",
    from: "down",
    to: "up",
    at: s(60),
    detectedAt: s(70),
    previousProbeAt: s(50),
    reason: null,
    detail: null,
  };

  it.each([
    {
      name: "the same state: nothing written, its chain continues from the committed at",
      target: snapshot(committedAt(down), { state: "down", since: s(20) }),
      expected: { aligned: [{ id: "portal", since: s(10) }], writes: [] },
    },
    {
      name: "no verdict of its own yet: nothing said against the committed state",
      target: snapshot(committedAt(down), { state: "unknown", since: null }),
      expected: { aligned: [], writes: [] },
    },
    {
      name: "its own recovery: written at its own streak's start, ending the committed outage",
      target: snapshot(committedAt(down), { state: "up", since: s(60) }, warmUp),
      expected: {
        aligned: [],
        writes: [{ id: "portal", outageStart: s(10), transition: warmUp }],
      },
    },
    {
      name: "never before the committed at, and detected no earlier than written",
      target: snapshot(committedAt(down), { state: "up", since: s(5) }),
      expected: {
        aligned: [],
        writes: [
          {
            id: "portal",
            outageStart: s(10),
            transition: { ...warmUp, at: s(10), detectedAt: NOW, previousProbeAt: null },
          },
        ],
      },
    },
  ])("$name", ({ target, expected }) => {
    expect(takeover([target], NOW)).toEqual(expected);
  });
});
