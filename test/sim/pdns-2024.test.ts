import { beforeAll, describe, expect, it } from "vitest";
import type { Behaviour } from "../../src/sim/behaviour.js";
import { AIRPORTS, CORE_ID, immigrationEstatePlan } from "../../src/sim/plan.js";
import { loadScenario, type Scenario } from "../../src/sim/scenario.js";
import { type BehaviourChange, behaviourTimeline } from "../../src/sim/timeline.js";

const FILE = "config/scenarios/pdns-2024.yaml";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const IDS = immigrationEstatePlan().map((p) => p.id);
const SERVICES = ["portal-imigrasi", "evisa", "m-paspor"];
const GATES = AIRPORTS.map(({ site }) => `autogate-${site}`);
const OTHER_GATES = GATES.filter((id) => id !== "autogate-cgk");
const UP: Behaviour = { behaviour: "up" };

let scenario: Scenario;
let timeline: Map<string, BehaviourChange[]>;

beforeAll(async () => {
  const loaded = await loadScenario(FILE, { endpointIds: IDS });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues, null, 2));
  scenario = loaded.scenario;
  timeline = behaviourTimeline(scenario.steps, IDS);
});

const changes = (id: string): BehaviourChange[] => timeline.get(id) ?? [];
/** When `id` last became `up`: its return. */
const returnOf = (id: string): number => {
  const last = changes(id).at(-1);
  expect(last?.behaviour, `${id} ends up`).toEqual(UP);
  return last?.atMs ?? Number.NaN;
};

describe("config/scenarios/pdns-2024.yaml", () => {
  it("parses, plays at 3600× by default and lasts under 100 s at that speed", () => {
    expect(scenario.name).toBe("pdns-2024");
    expect(scenario.speed).toBe(3600);
    expect(scenario.steps.at(-1)?.atMs).toBeLessThan(100 * HOUR);
    for (const step of scenario.steps) expect(step.note.length).toBeGreaterThan(10);
  });

  it("the core fails first, alone", () => {
    const [first, second] = scenario.steps;
    expect(first).toMatchObject({ atMs: 0, switches: [{ target: CORE_ID }] });
    const coreDown = first?.switches[0]?.behaviour;
    expect([
      { behaviour: "down", mode: "refused" },
      { behaviour: "down", mode: "hang" },
    ]).toContainEqual(coreDown);
    expect(second?.atMs).toBeGreaterThan(0);
  });

  it("the services fail after the core, an hour or more later (one probe interval at the demo's speeds), and every airport falls back to manual mode", () => {
    expect(changes(CORE_ID)[0]?.atMs).toBe(0);
    for (const id of SERVICES) {
      expect(changes(id)[0]?.behaviour, id).toEqual({ behaviour: "down", mode: "503" });
      expect(changes(id)[0]?.atMs, id).toBeGreaterThanOrEqual(HOUR);
      expect(changes(id)[0]?.atMs, id).toBeLessThanOrEqual(2 * HOUR);
    }
    for (const id of GATES) {
      expect(changes(id)[0], id).toEqual({
        atMs: 2 * HOUR,
        behaviour: { behaviour: "degraded", mode: "manual" },
      });
    }
  });

  it("no dependant is up while the core is down", () => {
    const coreBack = returnOf(CORE_ID);
    expect(coreBack).toBe(2 * DAY);
    for (const id of [...SERVICES, ...GATES]) {
      const upEarly = changes(id).filter(
        (c) => c.atMs < coreBack && c.behaviour.behaviour === "up",
      );
      expect(upEarly, id).toEqual([]);
    }
  });

  it("two days later the core, the portal and the CGK autogates return; e-Visa and M-Paspor that day", () => {
    expect(returnOf("portal-imigrasi")).toBeGreaterThanOrEqual(2 * DAY);
    expect(returnOf("portal-imigrasi")).toBeLessThanOrEqual(2 * DAY + 2 * HOUR);
    expect(returnOf("autogate-cgk")).toBeGreaterThanOrEqual(2 * DAY);
    expect(returnOf("autogate-cgk")).toBeLessThanOrEqual(2 * DAY + 2 * HOUR);
    for (const id of ["evisa", "m-paspor"]) {
      expect(returnOf(id), id).toBeGreaterThan(2 * DAY);
      expect(returnOf(id), id).toBeLessThan(3 * DAY);
    }
  });

  it("CGK is back before every other airport; the others return one by one on the next day", () => {
    const returns = OTHER_GATES.map(returnOf);
    for (const at of returns) {
      expect(at).toBeGreaterThan(returnOf("autogate-cgk"));
      expect(at).toBeGreaterThanOrEqual(3 * DAY);
      expect(at).toBeLessThan(4 * DAY);
    }
    const gaps = returns.slice(1).map((at, i) => at - (returns[i] ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(HOUR);
  });

  it("ends with everything up", () => {
    for (const id of IDS) expect(changes(id).at(-1)?.behaviour ?? UP, id).toEqual(UP);
  });

  it("every state an endpoint enters lasts an hour or more: a second at 3600×, seen by config/demo.yaml", () => {
    const end = scenario.steps.at(-1)?.atMs ?? 0;
    for (const id of IDS) {
      const times = [...changes(id).map((c) => c.atMs), end];
      const spans = times.slice(1).map((at, i) => at - (times[i] ?? 0));
      for (const span of spans) expect(span, id).toBeGreaterThanOrEqual(HOUR);
    }
  });
});
