import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_SCENARIO } from "../../src/cli/demo.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { immigrationEstatePlan } from "../../src/sim/plan.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { expectScenarioTime } from "../cli/demo-scenario-time.js";
import { pantauMain } from "../support/built-cli.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-demo-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AIRPORTS_AFTER_CGK = ["dps", "kno", "sub", "yia", "upg", "bth", "mdc"];

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // the built CLI, from a directory of its own: the shipped scenario is found from anywhere
  const child = spawn(process.execPath, [pantauMain(), "demo", ...args], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("pantau demo plays the June 2024 incident", () => {
  it("ends by itself with the summary, and the ledger holds the incident's shape", async () => {
    // ×7200 on average: two scenario hours per second, the whole replay in about 45 s
    const result = await runDemo([
      "--speed",
      "7200",
      "--listen",
      "127.0.0.1:0",
      // ports the system picks for every endpoint
      "--sim-base",
      "0",
      "--dir",
      dir,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^pantau demo: pdns-2024, scenario time from 2024-06-19T16:00:00\.000Z; ×\d+ while something happens, ×\d+–×\d+ in quiet stretches: 4\ds;/,
    );
    expect(result.stdout).toContain("\noutages, in scenario time:\n");
    expect(existsSync(join(dir, "report.html"))).toBe(true);
    const report = readFileSync(join(dir, "report.md"), "utf8");
    expect(report).toMatch(/^# Incident report: 2024-06-19T16:00:00\.000Z to 2024-06-23T/);

    // ledger, report and terminal speak the scenario's time, to the millisecond
    const loaded = await loadScenario(DEFAULT_SCENARIO, {
      endpointIds: immigrationEstatePlan().map((p) => p.id),
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    await expectScenarioTime(loaded.scenario, dir, result.stdout);
    // the core's outage row: from its first failed probe, 17:00:02 (its last ok probe before it)
    expect(report).toMatch(/\n\| simkim-core \|[^\n]*\| 2024-06-19T17:00:02\.\d{3}Z \|/);
    expect(result.stdout).toMatch(/\nsimkim-core +\+0d 01:00 +\+2d 01:00 +2d +172800 +refused\n/);
    for (const step of loaded.scenario.steps) {
      expect(result.stdout).toContain(`# ${step.note.replaceAll("\n", " ")}\n`);
    }

    const ledger = openSqliteLedger(join(dir, "demo.db"), { readonly: true });
    try {
      const outages = await ledger.outages({});
      const byTarget = new Map(outages.map((o) => [o.targetId, o]));
      // the data centre goes dark: the core's outage is its own, and everything that failed
      // with it is blocked by it, whichever probe saw the failure first
      expect(byTarget.get("simkim-core")).toMatchObject({ blockedBy: null });
      for (const id of ["portal-imigrasi", "evisa", "m-paspor", "autogate-kno", "autogate-mdc"]) {
        expect(byTarget.get(id)?.blockedBy, id).toBe("simkim-core");
      }
      expect(outages.every((o) => o.end !== null)).toBe(true);

      // airports degrade to manual mode, then come back: CGK first, the others one by one
      const transitions = await ledger.transitions({ limit: 10_000 });
      const backUp = (site: string) =>
        transitions.filter((t) => t.targetId === `autogate-${site}` && t.to === "up").at(-1)?.at;
      const degraded = transitions.filter(
        (t) => t.targetId.startsWith("autogate-") && t.to === "degraded",
      );
      expect(new Set(degraded.map((t) => t.targetId)).size).toBe(8);
      const cgk = backUp("cgk");
      const others = AIRPORTS_AFTER_CGK.map(backUp);
      expect(cgk).toBeDefined();
      for (const at of others) expect(at).toBeGreaterThan(cgk ?? Number.POSITIVE_INFINITY);
      expect(others).toEqual([...others].sort((a, b) => (a ?? 0) - (b ?? 0)));
      const coreBack = byTarget.get("simkim-core")?.end ?? 0;
      expect(cgk).toBeGreaterThan(coreBack);
    } finally {
      await ledger.close();
    }
  }, 120_000);
});
