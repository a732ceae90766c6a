import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  formatScenarioIssue,
  loadScenario,
  parseScenario,
  type ScenarioLoadResult,
} from "../../src/sim/scenario.js";

const IDS = ["simkim-core", "portal-imigrasi", "autogate-cgk", "autogate-dps"];
const parse = (text: string) => parseScenario(text, "s.yaml", { endpointIds: IDS });

function messages(result: ScenarioLoadResult): string[] {
  return result.ok ? [] : result.issues.map(formatScenarioIssue);
}

const VALID = `
name: drill
description: a short drill
speed: 60
steps:
  - at: 0
    note: core down
    set:
      simkim-core: { behaviour: down, mode: refused }
  - at: 30s
    note: gates manual, portal 503 and slow
    set:
      autogate-*: { behaviour: degraded, mode: manual }
      portal-imigrasi: { behaviour: down, mode: 503 }
  - at: 1h30m
    note: portal slow
    set:
      portal-imigrasi: { behaviour: degraded, mode: slow, delay: 1500ms }
  - at: 1h30m
    note: everything back
    set:
      "*": { behaviour: up }
      autogate-dps: { behaviour: down, mode: hang }
  - at: 2d
    note: end
`;

describe("parseScenario", () => {
  it("reads a valid scenario into steps in time order", () => {
    expect(parse(VALID)).toEqual({
      ok: true,
      scenario: {
        file: "s.yaml",
        name: "drill",
        description: "a short drill",
        speed: 60,
        startAt: null,
        steps: [
          {
            atMs: 0,
            note: "core down",
            switches: [
              { target: "simkim-core", behaviour: { behaviour: "down", mode: "refused" } },
            ],
          },
          {
            atMs: 30_000,
            note: "gates manual, portal 503 and slow",
            switches: [
              { target: "autogate-*", behaviour: { behaviour: "degraded", mode: "manual" } },
              { target: "portal-imigrasi", behaviour: { behaviour: "down", mode: "503" } },
            ],
          },
          {
            atMs: 5_400_000,
            note: "portal slow",
            switches: [
              {
                target: "portal-imigrasi",
                behaviour: { behaviour: "degraded", mode: "slow", delayMs: 1500 },
              },
            ],
          },
          {
            atMs: 5_400_000,
            note: "everything back",
            switches: [
              { target: "*", behaviour: { behaviour: "up" } },
              { target: "autogate-dps", behaviour: { behaviour: "down", mode: "hang" } },
            ],
          },
          { atMs: 172_800_000, note: "end", switches: [] },
        ],
      },
    });
  });

  it("defaults speed to 1 and description to empty; ids are not checked without a list", () => {
    const text = "name: x\nsteps:\n  - { at: 1s, note: n, set: { anything: { behaviour: up } } }\n";
    const result = parseScenario(text, "s.yaml", { endpointIds: null });
    expect(result).toMatchObject({ ok: true, scenario: { speed: 1, description: "" } });
  });

  it.each([
    ["2024-06-19T23:00:00+07:00", Date.UTC(2024, 5, 19, 16)],
    ["2024-06-19T16:00Z", Date.UTC(2024, 5, 19, 16)],
    ["2024-06-19T16:00:00.250-02:30", Date.UTC(2024, 5, 19, 18, 30, 0, 250)],
  ])("reads start %s as the wall time of offset 0", (start, startAt) => {
    const result = parse(`name: x\nstart: "${start}"\nsteps: [{ at: 0, note: n }]\n`);
    expect(result).toMatchObject({ ok: true, scenario: { startAt } });
  });

  const step = (body: string) => `name: x\nsteps:\n  - at: 1m\n    note: n\n${body}`;

  it.each([
    [
      "empty file",
      "",
      ['s.yaml:1:1: missing required key "name"', 's.yaml:1:1: missing required key "steps"'],
    ],
    [
      "yaml syntax",
      "name: [x\n",
      [
        "s.yaml:2:1: flow sequence in block collection must be sufficiently indented and end with a ]",
      ],
    ],
    [
      "unknown top key",
      "name: x\nspeeed: 2\nsteps: [{ at: 0, note: n }]\n",
      ['s.yaml:2:1: speeed: unknown key "speeed"; did you mean "speed"?'],
    ],
    ["no steps", "name: x\nsteps: []\n", ["s.yaml:2:8: steps: must have at least 1 item"]],
    [
      "speed zero",
      "name: x\nspeed: 0\nsteps: [{ at: 0, note: n }]\n",
      ["s.yaml:2:8: speed: must be greater than 0"],
    ],
    ...["2024-06-19", "2024-06-19T23:00:00", "2024-02-30T00:00Z", "2024-06-19T24:00Z", "noon"].map(
      (start): [string, string, string[]] => [
        `start ${start}`,
        `name: x\nstart: ${start}\nsteps: [{ at: 0, note: n }]\n`,
        [
          `s.yaml:2:8: start: "${start}" is not a time with an offset (use e.g. 2024-06-19T23:00:00+07:00)`,
        ],
      ],
    ),
    [
      "speed text",
      "name: x\nspeed: fast\nsteps: [{ at: 0, note: n }]\n",
      ['s.yaml:2:8: speed: expected a number, got "fast"'],
    ],
    [
      "missing at",
      "name: x\nsteps:\n  - note: n\n",
      ['s.yaml:3:5: steps[0]: missing required key "at"'],
    ],
    [
      "missing note",
      "name: x\nsteps:\n  - at: 0s\n",
      ['s.yaml:3:5: steps[0]: missing required key "note"'],
    ],
    [
      "bad offset",
      "name: x\nsteps:\n  - at: 2d 4h\n    note: n\n",
      ['s.yaml:3:9: steps[0].at: "2d 4h" is not an offset (use e.g. 0s, 30s, 2d, 2d4h)'],
    ],
    [
      "numeric offset",
      "name: x\nsteps:\n  - at: 30\n    note: n\n",
      ["s.yaml:3:9: steps[0].at: 30 is not an offset (use e.g. 0s, 30s, 2d, 2d4h)"],
    ],
    [
      "out of order",
      "name: x\nsteps:\n  - { at: 2h, note: a }\n  - { at: 1h, note: b }\n",
      ["s.yaml:4:11: steps[1].at: 1h is before the previous step's 2h: list steps in time order"],
    ],
    [
      "unknown behaviour",
      step("    set: { simkim-core: { behaviour: broken } }\n"),
      [
        's.yaml:5:38: steps[0].set.simkim-core.behaviour: expected one of up, down, degraded, got "broken"',
      ],
    ],
    [
      "down without mode",
      step("    set: { simkim-core: { behaviour: down } }\n"),
      [
        's.yaml:5:25: steps[0].set.simkim-core: missing required key "mode" (down: one of refused, 503, hang)',
      ],
    ],
    [
      "down with a degraded mode",
      step("    set: { simkim-core: { behaviour: down, mode: slow } }\n"),
      [
        's.yaml:5:50: steps[0].set.simkim-core.mode: expected one of refused, 503, hang for behaviour down, got "slow"',
      ],
    ],
    [
      "degraded with 404",
      step("    set: { simkim-core: { behaviour: degraded, mode: 404 } }\n"),
      [
        "s.yaml:5:54: steps[0].set.simkim-core.mode: expected one of slow, manual for behaviour degraded, got 404",
      ],
    ],
    [
      "slow without delay",
      step("    set: { simkim-core: { behaviour: degraded, mode: slow } }\n"),
      ['s.yaml:5:25: steps[0].set.simkim-core: missing required key "delay" (mode slow)'],
    ],
    [
      "up with mode",
      step("    set: { simkim-core: { behaviour: up, mode: manual } }\n"),
      ["s.yaml:5:42: steps[0].set.simkim-core.mode: behaviour up takes no mode"],
    ],
    [
      "delay without slow",
      step("    set: { simkim-core: { behaviour: degraded, mode: manual, delay: 1s } }\n"),
      ["s.yaml:5:62: steps[0].set.simkim-core.delay: delay is only for mode slow"],
    ],
    [
      "bad delay",
      step("    set: { simkim-core: { behaviour: degraded, mode: slow, delay: 1.5s } }\n"),
      [
        's.yaml:5:67: steps[0].set.simkim-core.delay: "1.5s" is not a duration (use e.g. 500ms, 15s, 1m, 2h, 1d)',
      ],
    ],
    [
      "unknown switch key",
      step("    set: { simkim-core: { behaviour: up, for: 1h } }\n"),
      ['s.yaml:5:42: steps[0].set.simkim-core.for: unknown key "for"'],
    ],
    [
      "unknown endpoint",
      step("    set: { autogate-xyz: { behaviour: up } }\n"),
      ['s.yaml:5:12: steps[0].set.autogate-xyz: "autogate-xyz" matches no simulated endpoint'],
    ],
    [
      "glob matching nothing",
      step("    set: { gen-*: { behaviour: up } }\n"),
      ['s.yaml:5:12: steps[0].set["gen-*"]: "gen-*" matches no simulated endpoint'],
    ],
    [
      "bad endpoint name",
      step('    set: { "Core!": { behaviour: up } }\n'),
      [
        's.yaml:5:12: steps[0].set["Core!"]: "Core!" is not an endpoint id or glob (use [a-z0-9*?][a-z0-9._*?-]*)',
      ],
    ],
  ])("%s", (_name, text, expected) => {
    expect(messages(parse(text))).toEqual(expected);
  });

  it("reports every issue, in document order, with its code", () => {
    const text = step("    set: { nowhere: { behaviour: down } }\n  - { at: 10s, note: early }\n");
    const result = parse(text);
    expect(
      result.ok ? [] : result.issues.map((issue) => [issue.code, issue.line, issue.col]),
    ).toEqual([
      ["SCENARIO_UNKNOWN_ENDPOINT", 5, 12],
      ["SCENARIO_MODE", 5, 21],
      ["SCENARIO_ORDER", 6, 11],
    ]);
  });
});

describe("loadScenario", () => {
  const dir = mkdtempSync(join(tmpdir(), "pantau-scenario-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a file", async () => {
    const file = join(dir, "ok.yaml");
    writeFileSync(file, VALID);
    expect(await loadScenario(file, { endpointIds: IDS })).toMatchObject({
      ok: true,
      scenario: { file, name: "drill" },
    });
  });

  it("names a file it cannot read", async () => {
    const file = join(dir, "missing.yaml");
    expect(messages(await loadScenario(file, { endpointIds: IDS }))).toEqual([
      `${file}:1:1: cannot read the scenario file (ENOENT)`,
    ]);
  });
});
