import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outagesCommand } from "../../src/cli/outages.js";
import { reportCommand } from "../../src/cli/report.js";
import type { TargetState } from "../../src/health/types.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { transition } from "../ledger/contract.js";
import { runInProcess } from "../support/cli.js";

/**
 * What a quorum group's readers show, from a ledger with two vantages and the group's chain:
 * `outages --quorum` lists the group's outages only, and `report --quorum` adds the vantage ×
 * target matrix and the disagreements.
 */

const T0 = Date.UTC(2024, 6, 1, 0, 0, 0);
const min = (m: number) => T0 + m * 60_000;
const NOW = min(60);
const RANGE = [
  "--since",
  new Date(min(0)).toISOString(),
  "--until",
  new Date(min(60)).toISOString(),
];

let dir: string;
let db: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pantau-quorum-readers-"));
  db = join(dir, "ledger.db");
  const ledger = openSqliteLedger(db);
  const runOf = async (instance: string) =>
    (await ledger.startRun(instance, min(0), { quorumGroup: "estate" })).run.id;
  const decider = (await ledger.startRun("cgk/quorum/estate", min(0), { haGroup: "quorum/estate" }))
    .run.id;
  await ledger.claimLeadership(decider, min(0));
  const chains: [number, string, [TargetState, number][]][] = [
    [
      await runOf("cgk"),
      "autogate-dps",
      [
        ["up", 0],
        ["down", 9],
        ["up", 21],
      ],
    ],
    [
      await runOf("dr"),
      "autogate-dps",
      [
        ["up", 0],
        ["down", 10],
        ["up", 19],
      ],
    ],
    [
      decider,
      "autogate-dps",
      [
        ["up", 0],
        ["down", 10],
        ["up", 19],
      ],
    ],
  ];
  const drRun = chains[1]![0];
  for (const [run, target, steps] of chains) {
    let from: TargetState = "unknown";
    for (const [to, at] of steps) {
      await ledger.commit(run, [transition(target, from, to, min(at))]);
      from = to;
    }
  }
  // the way from dr to the portal fails: dr alone sees it down
  await ledger.commit(drRun, [transition("portal", "unknown", "up", min(0))]);
  await ledger.commit(drRun, [transition("portal", "up", "down", min(30))]);
  await ledger.commit(drRun, [transition("portal", "down", "up", min(35))]);
  await ledger.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("readers of a quorum group", () => {
  it("outages --quorum lists the group's outages, not the vantages'", async () => {
    const { code, out, err } = await runInProcess(
      "outages",
      (io) => outagesCommand({ io, now: () => NOW }),
      ["--db", db, "--quorum", "estate", "--format", "json", ...RANGE],
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const listed = JSON.parse(out) as { instance: string; target: string; start: string }[];
    expect(listed.map((o) => [o.instance, o.target, o.start])).toEqual([
      ["quorum/estate", "autogate-dps", new Date(min(10)).toISOString()],
    ]);
  });

  it("outages --quorum refuses a name that is not a group, exit 2", async () => {
    const { code, err } = await runInProcess(
      "outages",
      (io) => outagesCommand({ io, now: () => NOW }),
      ["--db", db, "--quorum", "quorum/estate"],
    );
    expect(code).toBe(2);
    expect(err).toContain(
      `--quorum: "quorum/estate" is not a quorum group (letters, digits, '.', '_', '-')`,
    );
  });

  it("report --quorum adds the vantage × target matrix and the disagreements", async () => {
    const { code, out, err } = await runInProcess(
      "report",
      (io) =>
        reportCommand({
          io,
          now: () => NOW,
          loadConfig: () => Promise.reject(new Error("no --config expected")),
        }),
      ["--db", db, "--quorum", "estate", ...RANGE],
    );
    expect({ code, err }).toEqual({ code: 0, err: "" });
    const matrix = out.slice(out.indexOf("## Vantages of quorum group estate"));
    expect(matrix).toContain("| target | group down | cgk | dr |");
    expect(matrix).toContain("| autogate-dps | 9m | 12m | 9m |");
    expect(matrix).toContain("| portal | - | - | 5m |");
    const from = out.indexOf("## Disagreements");
    const disagreements = out.slice(from, out.indexOf("\n## ", from + 1));
    expect(disagreements).toContain(
      "| portal | dr | 2024-07-01T00:30:00.000Z | 2024-07-01T00:35:00.000Z | 5m |",
    );
    expect(disagreements).not.toContain("autogate-dps");
  });
});
