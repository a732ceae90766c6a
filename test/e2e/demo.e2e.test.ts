import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { pantauMain } from "../support/built-cli.js";
import { unusedPort } from "../support/servers/loopback.js";

const dir = mkdtempSync(join(tmpdir(), "pantau-demo-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AIRPORTS_AFTER_CGK = ["dps", "kno", "sub", "yia", "upg", "bth", "mdc"];

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [pantauMain(), "demo", ...args], {
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
    // ×14400: four scenario hours per second, the whole replay in about 22 s
    const result = await runDemo([
      "--speed",
      "14400",
      "--listen",
      "127.0.0.1:0",
      // a base the OS handed out: the eleven ports after it are very likely free too
      "--sim-base",
      String(await unusedPort()),
      "--dir",
      dir,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("outages, in scenario time (×14400):");
    expect(existsSync(join(dir, "report.html"))).toBe(true);
    expect(readFileSync(join(dir, "report.md"), "utf8")).toMatch(/^# Incident report/);

    const ledger = openSqliteLedger(join(dir, "demo.db"), { readonly: true });
    try {
      const outages = await ledger.outages({});
      const byTarget = new Map(outages.map((o) => [o.targetId, o]));
      // the core fails first, on its own; everything that fails with it is blocked by it
      const first = [...outages].sort((a, b) => a.start - b.start)[0];
      expect(first).toMatchObject({ targetId: "simkim-core", blockedBy: null });
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
