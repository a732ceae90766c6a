import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { StoredTransition } from "../../src/ledger/ledger.js";
import { openSqliteLedger } from "../../src/ledger/sqlite.js";
import { immigrationEstatePlan } from "../../src/sim/plan.js";
import type { Scenario } from "../../src/sim/scenario.js";
import { behaviourTimeline } from "../../src/sim/timeline.js";
import { humanDuration } from "../../src/text/duration.js";

/**
 * What a demo run must show in scenario time, checked against its own scenario: shared by the
 * in-process test (test/cli/demo.test.ts) and the end-to-end one (test/e2e/demo.e2e.test.ts).
 */

const IDS = immigrationEstatePlan().map((p) => p.id);

/** Per endpoint, the stretches (ms) the scenario keeps it in `kind`, merged across modes. */
export function scenarioSpans(
  scenario: Scenario,
  kind: "down" | "degraded",
): Map<string, number[]> {
  const end = scenario.steps.at(-1)?.atMs ?? 0;
  const spans = new Map<string, number[]>();
  for (const [id, changes] of behaviourTimeline(scenario.steps, IDS)) {
    const list: number[] = [];
    let since: number | null = null;
    for (const [i, change] of changes.entries()) {
      const inKind = change.behaviour.behaviour === kind;
      if (inKind && since === null) since = change.atMs;
      const next = changes[i + 1];
      const leaves = next === undefined || next.behaviour.behaviour !== kind;
      if (since !== null && leaves && inKind) {
        list.push((next?.atMs ?? end) - since);
        since = null;
      }
    }
    spans.set(id, list);
  }
  return spans;
}

/** The cells of a `| a | b |` markdown table under `## heading`, keyed by its header. */
export function markdownTable(text: string, heading: string): Record<string, string>[] {
  const section = text.split(`\n## ${heading}\n`)[1]?.split("\n## ")[0] ?? "";
  const rows = section.split("\n").filter((line) => line.startsWith("|"));
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split("|")
      .map((c) => c.trim());
  const [header = [], , ...body] = rows.map(cells);
  return body.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ""])));
}

/** The rows of the terminal summary's table after `title`, cut where `columns` start in its header. */
export function terminalTable(
  stdout: string,
  title: string,
  columns: readonly string[],
): Record<string, string>[] {
  const lines = stdout.split(`\n${title}\n`)[1]?.split("\n\n")[0]?.split("\n") ?? [];
  const [header = "", ...rows] = lines;
  const starts = columns.map((name) => header.indexOf(name));
  expect(
    starts.every((at) => at >= 0),
    header,
  ).toBe(true);
  return rows
    .filter((row) => row.trim() !== "")
    .map((row) =>
      Object.fromEntries(
        columns.map((name, i) => [name, row.slice(starts[i], starts[i + 1] ?? row.length).trim()]),
      ),
    );
}

export interface DemoFacts {
  outages: { targetId: string; start: number; end: number | null }[];
  transitions: StoredTransition[];
}

export async function readDemoLedger(dir: string): Promise<DemoFacts> {
  const ledger = openSqliteLedger(join(dir, "demo.db"), { readonly: true });
  try {
    const outages = await ledger.outages({});
    const transitions = await ledger.transitions({ limit: 1_000_000 });
    return { outages, transitions: [...transitions].sort((a, b) => a.at - b.at || a.id - b.id) };
  } finally {
    await ledger.close();
  }
}

/** Every claim of the demo in scenario time, checked against the scenario it played. */
export async function expectScenarioTime(
  scenario: Scenario,
  dir: string,
  stdout: string,
  options: { airportsOnly?: boolean } = {},
): Promise<void> {
  const { outages, transitions } = await readDemoLedger(dir);
  const report = readFileSync(join(dir, "report.md"), "utf8");

  // the estate is seen healthy before anything fails
  for (const id of IDS) {
    const first = transitions.find((t) => t.targetId === id);
    expect(first && `${first.from} → ${first.to}`, id).toBe("unknown → up");
  }

  // every outage lasts what the scenario keeps the endpoint down, to the millisecond
  const down = scenarioSpans(scenario, "down");
  for (const id of IDS) {
    const recorded = outages.filter((o) => o.targetId === id).map((o) => (o.end ?? 0) - o.start);
    expect(recorded, `${id} outages`).toEqual(down.get(id));
  }

  // time degraded (an airport's manual passport checks) is the scenario's, to the millisecond
  const degraded = scenarioSpans(scenario, "degraded");
  const degradedIds = options.airportsOnly ? IDS.filter((i) => i.startsWith("autogate-")) : IDS;
  for (const id of degradedIds) {
    const expected = (degraded.get(id) ?? []).reduce((a, b) => a + b, 0);
    expect(degradedMs(transitions, id), `${id} degraded`).toBe(expected);
  }

  const terminalDegraded = terminalTable(
    stdout,
    "degraded (an airport in manual mode, a slow service), in scenario time:",
    ["target", "from", "to", "degraded for", "seconds", "spells"],
  );
  for (const id of degradedIds) {
    const expected = (degraded.get(id) ?? []).reduce((a, b) => a + b, 0);
    const row = terminalDegraded.find((r) => r.target === id);
    expect(row?.seconds ?? "0", `${id} degraded, printed`).toBe(String(expected / 1000));
  }

  // the report and the terminal say the same durations, to the millisecond
  const reported = markdownTable(report, "Outages").map((r) => ({
    target: r.target,
    duration: r.duration,
    seconds: (Date.parse(r.end ?? "") - Date.parse(r.start ?? "")) / 1000,
  }));
  const columns = ["target", "start", "end", "down for", "seconds", "cause"];
  const printed = terminalTable(stdout, "outages, in scenario time:", columns).map((r) => ({
    target: r.target,
    duration: r["down for"],
    seconds: Number(r.seconds),
  }));
  expect(printed.length).toBe(outages.length);
  const byTarget = (
    a: { target?: string; seconds: number },
    b: { target?: string; seconds: number },
  ) => (a.target ?? "").localeCompare(b.target ?? "") || a.seconds - b.seconds;
  expect(printed.sort(byTarget)).toEqual(reported.sort(byTarget));

  // each airport's manual-mode time in the report is the scenario's (one autogate a site), and
  // the airports come back in the scenario's order
  const airports = IDS.filter((id) => id.startsWith("autogate-"));
  const bySite = markdownTable(report, "By site");
  const restoration = markdownTable(report, "Restoration order by site");
  for (const id of airports) {
    const site = id.slice("autogate-".length);
    const expected = humanDuration((degraded.get(id) ?? []).reduce((a, b) => a + b, 0) / 1000);
    expect(bySite.find((r) => r.site === site)?.degraded, `${site} degraded, in the report`).toBe(
      expected,
    );
    const restored = restoration.find((r) => r.site === site);
    expect(restored?.degraded, `${site} degraded, in the restoration order`).toBe(expected);
  }
  const timeline = behaviourTimeline(scenario.steps, IDS);
  const backUp = (id: string) =>
    timeline.get(id)?.findLast((c) => c.behaviour.behaviour === "up")?.atMs ?? Infinity;
  // (airports that return in the same instant come back in the order their probes see it)
  const reportOrder = restoration
    .map((r) => `autogate-${r.site ?? ""}`)
    .filter((id) => airports.includes(id));
  expect([...reportOrder].sort()).toEqual([...airports].sort());
  const returns = reportOrder.map(backUp);
  expect(returns, reportOrder.join(", ")).toEqual([...returns].sort((a, b) => a - b));

  // the report's longest outage is the scenario's
  const longest = [...down.entries()]
    .flatMap(([id, spans]) => spans.map((ms) => ({ id, ms })))
    .sort((a, b) => b.ms - a.ms)[0];
  expect(report).toContain(
    `- Longest outage: ${longest?.id}, ${humanDuration((longest?.ms ?? 0) / 1000)} (`,
  );
}

/** Time `id` spent degraded, from the ledger's transitions (in time order). */
export function degradedMs(transitions: readonly StoredTransition[], id: string): number {
  let total = 0;
  let since: number | null = null;
  for (const t of transitions.filter((x) => x.targetId === id)) {
    if (since !== null) total += t.at - since;
    since = t.to === "degraded" ? t.at : null;
  }
  return total;
}
