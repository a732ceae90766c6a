import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { demoPlayer, runDemo } from "../../src/cli/demo-run.js";
import { immigrationEstatePlan } from "../../src/sim/plan.js";
import { parseScenario, type Scenario, type ScenarioStep } from "../../src/sim/scenario.js";
import { ScaledClock } from "../../src/time/scaled-clock.js";
import { FakeTime } from "../support/time.js";
import { expectScenarioTime } from "./demo-scenario-time.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-demo-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A short incident on the demo's estate: an hour of normal running, the core and its
// dependants failing, manual mode and a hang at the airports, a quiet stretch, a staged return.
const DRILL = `
name: drill
speed: 3600
start: "2024-06-19T23:00:00+07:00"
steps:
  - { at: 0s, note: everything up }
  - at: 1h
    note: the core stops accepting connections
    set: { simkim-core: { behaviour: down, mode: refused } }
  - at: 2h
    note: the portal answers 503; the airports switch to manual passport checks
    set:
      portal-imigrasi: { behaviour: down, mode: 503 }
      autogate-*: { behaviour: degraded, mode: manual }
  - at: 2h30m
    note: e-Visa answers 503
    set: { evisa: { behaviour: down, mode: 503 } }
  - at: 3h
    note: the Medan gateway hangs
    set: { autogate-kno: { behaviour: down, mode: hang } }
  - at: 4h
    note: the Medan gateway answers again, in manual mode
    set: { autogate-kno: { behaviour: degraded, mode: manual } }
  - at: 9h
    note: the core, the portal and Soekarno-Hatta are back
    set:
      simkim-core: { behaviour: up }
      portal-imigrasi: { behaviour: up }
      autogate-cgk: { behaviour: up }
  - at: 10h
    note: e-Visa answers slowly; the other airports are back
    set:
      evisa: { behaviour: degraded, mode: slow, delay: 6m }
      autogate-dps: { behaviour: up }
      autogate-kno: { behaviour: up }
      autogate-sub: { behaviour: up }
      autogate-yia: { behaviour: up }
      autogate-upg: { behaviour: up }
      autogate-bth: { behaviour: up }
      autogate-mdc: { behaviour: up }
  - at: 11h
    note: e-Visa is back at normal speed
    set: { evisa: { behaviour: up } }
  - { at: 12h, note: end }
`;

function drill(): Scenario {
  const parsed = parseScenario(DRILL, "drill.yaml", {
    endpointIds: immigrationEstatePlan().map((p) => p.id),
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.scenario;
}

/**
 * Real time under the scenario's clock, advanced half a millisecond per turn of the event loop:
 * the loopback I/O is real, but a stall of this busy machine does not count as scenario time,
 * so what the assertions depend on (no probe looks slow that was not) holds under any load.
 */
function loopTime(): { time: FakeTime; stop: () => Promise<void> } {
  const time = new FakeTime(0);
  let running = true;
  const driving = (async () => {
    while (running) {
      await new Promise((resolve) => setImmediate(resolve));
      await time.advance(0.5);
    }
  })();
  return {
    time,
    stop: async () => {
      running = false;
      await driving;
    },
  };
}

describe("pantau demo in scenario time", () => {
  it("records exactly the scenario's outages and manual-mode hours; report and terminal agree", async () => {
    const scenario = drill();
    const { time, stop } = loopTime();
    let stdout = "";
    let stderr = "";
    const code = await runDemo(scenario, {
      speed: scenario.speed,
      listen: "127.0.0.1:0",
      dir,
      simBase: 0,
      out: {
        write: (text) => {
          stdout += text;
        },
        error: (text) => {
          stderr += text;
        },
        tty: false,
      },
      underlying: { clock: time, timers: time },
    }).finally(stop);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("pantau demo: drill, scenario time from 2024-06-19T16:00:00.000Z;");
    // every note is shown as it plays
    for (const step of scenario.steps) expect(stdout).toContain(`# ${step.note}\n`);
    await expectScenarioTime(scenario, dir, stdout);
    // degraded → up says how long, like down → up
    expect(stdout).toMatch(/autogate-cgk +degraded → up \(degraded 7h\)/);
    expect(stdout).toMatch(/simkim-core +down → up \(down 8h\)/);
  }, 60_000);

  it("applies each step on the scenario's clock while it holds: a probe due just after waits", async () => {
    const time = new FakeTime(0);
    const clock = new ScaledClock({ clock: time, timers: time, startAt: 0, rate: 3600 });
    const steps: ScenarioStep[] = [{ atMs: 3_600_000, note: "core down", switches: [] }];
    let switched: () => void = () => undefined;
    const events: string[] = [];
    const world = {
      applyStep: (step: ScenarioStep) => {
        events.push(`${step.note} at ${clock.monotonic()}`);
        return new Promise<void>((resolve) => {
          switched = () => {
            events.push("switched");
            resolve();
          };
        });
      },
    };
    const played = demoPlayer(clock, steps, world).play();
    clock.timers.setTimeout(() => events.push(`probe at ${clock.monotonic()}`), 3_600_001);
    await time.advance(1000);
    expect(events).toEqual(["core down at 3600000"]);
    // however long the estate takes to switch, no scenario time passes meanwhile
    await time.advance(5000);
    expect(events).toEqual(["core down at 3600000"]);
    switched();
    await time.advance(1);
    expect(events).toEqual(["core down at 3600000", "switched", "probe at 3600001"]);
    expect(await played).toBe("finished");
  });

  it("a listen address it cannot bind ends the demo with exit 1 and the reason", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as { port: number };
    let stderr = "";
    const code = await runDemo(drill(), {
      speed: 3600,
      listen: `127.0.0.1:${port}`,
      dir: join(dir, "busy"),
      simBase: 0,
      out: {
        write: () => undefined,
        error: (text) => {
          stderr += text;
        },
        tty: false,
      },
    }).finally(() => new Promise((resolve) => holder.close(resolve)));
    expect({ code, stderr }).toEqual({
      code: 1,
      stderr: `pantau demo: cannot listen on 127.0.0.1:${port} (EADDRINUSE)\n`,
    });
  });
});
