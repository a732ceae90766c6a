import { beforeAll, describe, expect, it } from "vitest";
import { parseDuration } from "../../src/fields/units.js";
import { phaseOffset } from "../../src/schedule/hash.js";
import type { Behaviour } from "../../src/sim/behaviour.js";
import { DEMO_MONITOR, SCENARIO_MONITOR } from "../../src/sim/monitor-config.js";
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
/** The hour of normal running before the incident: the failures' offsets are counted after it. */
const LEAD = HOUR;
const ms = (duration: string): number => parseDuration(duration) ?? Number.NaN;

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
  it("parses, plays at 3600× on average and lasts under 100 s at that speed", () => {
    expect(scenario.name).toBe("pdns-2024");
    expect(scenario.speed).toBe(3600);
    expect(scenario.steps.at(-1)?.atMs).toBeLessThan(100 * HOUR);
    for (const step of scenario.steps) expect(step.note.length).toBeGreaterThan(10);
  });

  it("starts an hour before the incident, 20 June 2024 00:00 WIB, with every target up", () => {
    expect(scenario.startAt).toBe(Date.parse("2024-06-19T23:00:00+07:00"));
    const [lead] = scenario.steps;
    expect(lead).toMatchObject({ atMs: 0, switches: [] });
    for (const id of IDS)
      expect(changes(id)[0]?.atMs ?? Number.POSITIVE_INFINITY).toBeGreaterThanOrEqual(LEAD);
  });

  it("the data centre goes dark at the end of the lead: the core and every service in one step", () => {
    const [, first, second] = scenario.steps;
    expect(first?.atMs).toBe(LEAD);
    expect(first?.switches.map((s) => s.target).sort()).toEqual([CORE_ID, ...SERVICES].sort());
    const coreDown = first?.switches.find((s) => s.target === CORE_ID)?.behaviour;
    expect([
      { behaviour: "down", mode: "refused" },
      { behaviour: "down", mode: "hang" },
    ]).toContainEqual(coreDown);
    expect(second?.atMs).toBeGreaterThan(LEAD);
  });

  it("the services fail with the core, in the same instant, and every airport falls back to manual mode", () => {
    expect(changes(CORE_ID)[0]?.atMs).toBe(LEAD);
    for (const id of SERVICES) {
      expect(changes(id)[0]?.behaviour, id).toEqual({ behaviour: "down", mode: "503" });
      expect(changes(id)[0]?.atMs, id).toBe(LEAD);
    }
    for (const id of GATES) {
      expect(changes(id)[0], id).toEqual({
        atMs: LEAD + 2 * HOUR,
        behaviour: { behaviour: "degraded", mode: "manual" },
      });
    }
  });

  it("no dependant is up while the core is down", () => {
    const coreBack = returnOf(CORE_ID);
    expect(coreBack).toBe(LEAD + 2 * DAY);
    for (const id of [...SERVICES, ...GATES]) {
      const upEarly = changes(id).filter(
        (c) => c.atMs < coreBack && c.behaviour.behaviour === "up",
      );
      expect(upEarly, id).toEqual([]);
    }
  });

  it("two days later the core, the portal and the CGK autogates return; e-Visa and M-Paspor that day", () => {
    expect(returnOf("portal-imigrasi")).toBeGreaterThanOrEqual(LEAD + 2 * DAY);
    expect(returnOf("portal-imigrasi")).toBeLessThanOrEqual(LEAD + 2 * DAY + 2 * HOUR);
    expect(returnOf("autogate-cgk")).toBeGreaterThanOrEqual(LEAD + 2 * DAY);
    expect(returnOf("autogate-cgk")).toBeLessThanOrEqual(LEAD + 2 * DAY + 2 * HOUR);
    for (const id of ["evisa", "m-paspor"]) {
      expect(returnOf(id), id).toBeGreaterThan(LEAD + 2 * DAY);
      expect(returnOf(id), id).toBeLessThan(LEAD + 3 * DAY);
    }
  });

  it("CGK is back before every other airport; the others return one by one on the next day", () => {
    const returns = OTHER_GATES.map(returnOf);
    for (const at of returns) {
      expect(at).toBeGreaterThan(returnOf("autogate-cgk"));
      expect(at).toBeGreaterThanOrEqual(LEAD + 3 * DAY);
      expect(at).toBeLessThan(LEAD + 4 * DAY);
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

  // The demo's ledger is exact only if each step falls between two probes of every target:
  // a probe starting on a step could see either side, and one just before it could still be
  // on its way when the step switches the estate.
  it("no target of the demo's monitor has a probe on a step or in the minute before it", () => {
    const interval = ms(SCENARIO_MONITOR.interval);
    const startAt = scenario.startAt ?? Number.NaN;
    for (const id of IDS) {
      const phase = phaseOffset(id, interval);
      for (const step of scenario.steps) {
        const sincePreviousSlot =
          (((startAt + step.atMs - phase) % interval) + interval) % interval;
        expect(sincePreviousSlot, `${id} at +${step.atMs}`).toBeGreaterThanOrEqual(MINUTE);
      }
    }
  });

  it("e-Visa's slow answers are slow for both monitors and never time out", () => {
    const slow = changes("evisa").find((c) => c.behaviour.behaviour === "degraded");
    const delay =
      slow?.behaviour.behaviour === "degraded" && slow.behaviour.mode === "slow"
        ? slow.behaviour.delayMs
        : 0;
    // the demo's monitor, on the scenario's clock
    expect(delay).toBeGreaterThan(ms(SCENARIO_MONITOR.latencyOver));
    expect(delay).toBeLessThan(ms(SCENARIO_MONITOR.timeout));
    // config/demo.yaml, real time, against `pantau simulate` at the scenario's speed
    expect(delay / scenario.speed).toBeGreaterThan(ms(DEMO_MONITOR.latencyOver));
    expect(delay / scenario.speed).toBeLessThan(ms(DEMO_MONITOR.timeout));
  });
});
