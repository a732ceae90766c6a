import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { immigrationEstatePlan } from "../../src/sim/plan.js";
import { formatScenarioIssue, parseScenario } from "../../src/sim/scenario.js";

const DOC = readFileSync("docs/scenarios.md", "utf8");
const IDS = immigrationEstatePlan().map((plan) => plan.id);

/** The fenced blocks of docs/scenarios.md, in order, with their language. */
function blocks(): { lang: string; text: string }[] {
  return [...DOC.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] ?? "",
    text: m[2] ?? "",
  }));
}

describe("docs/scenarios.md", () => {
  it("the format sample is a valid scenario for the estate", () => {
    const sample = blocks().find((b) => b.lang === "yaml" && b.text.includes("speed: 60"));
    const result = parseScenario(sample?.text ?? "", "drill.yaml", { endpointIds: IDS });
    expect(result).toMatchObject({ ok: true, scenario: { name: "drill", speed: 60 } });
    expect(result.ok && result.scenario.steps.length).toBe(5);
  });

  it("the bad sample gives exactly the errors shown", () => {
    const all = blocks();
    const bad = all.findIndex((b) => b.text.includes("autogate-xyz: { behaviour"));
    const output = all[bad + 1]?.text.trimEnd().split("\n");
    const result = parseScenario(all[bad]?.text ?? "", "drill.yaml", { endpointIds: IDS });
    expect(result.ok ? [] : result.issues.map(formatScenarioIssue)).toEqual(output);
  });
});
