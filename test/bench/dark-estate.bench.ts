import { HOLD_BOUND_MS, type RoundResult, startLiveEstate } from "./dark-estate-live.js";
import { envNumber } from "./env.js";
import { fmtMs } from "./measure.js";
import { printTable, quantile } from "./table.js";

/**
 * A data centre going dark, live: `estates` estates of a core and 30 dependants in one daemon
 * (interval 2 s, failure_threshold 2, timeout 1 s), `rounds` rounds each, so estates × rounds
 * trials with different seeds. Each trial should page exactly once — the core — with every
 * dependant blocked by it; in the reverse case (dependants fail, the core answers) each
 * dependant should page, no later than its detection or its first failed probe + the bound.
 */
export async function darkEstateBench(): Promise<void> {
  const estates = envNumber("BENCH_DARK_ESTATES", 10, 5);
  const rounds = envNumber("BENCH_DARK_ROUNDS", 5, 2);
  const dependants = 30;
  const live = await startLiveEstate({ estates, dependants, name: "dark-estate" });
  const results: RoundResult[] = [];
  try {
    for (let r = 0; r < rounds; r++) results.push(await live.round(r, 1000 + r, true));
    for (let r = 0; r < rounds; r++) results.push(await live.round(rounds + r, 2000 + r, false));
  } finally {
    await live.close();
  }
  const rows = results.map((result) => {
    const cores = [...result.paged].filter((id) => id.startsWith("core-")).length;
    const gates = [...result.paged].filter((id) => id.startsWith("gate-")).length;
    const afterDetection = result.pageDelays.map((d) => d.afterDetectionMs);
    const afterBound = result.pageDelays.map((d) => d.afterBoundMs);
    const modes = ["fail", "reset", "hang"].map(
      (mode) => result.failures.filter((f) => f.mode === mode).length,
    );
    return [
      String(result.round + 1),
      result.withCore ? "core + dependants" : "dependants alone",
      String(result.seed),
      modes.join("/"),
      String(estates),
      `${cores} + ${gates}`,
      `${result.blocked} / ${result.down}`,
      afterDetection.length ? fmtMs(quantile(afterDetection, 0.5)) : "-",
      afterDetection.length ? fmtMs(Math.max(...afterDetection)) : "-",
      afterBound.length ? fmtMs(Math.max(...afterBound)) : "-",
    ];
  });
  printTable(
    `A data centre going dark: ${estates} estates × ${rounds} rounds per case, core + ${dependants} dependants, interval 2 s, failure_threshold 2, timeout 1 s (hold bound ${HOLD_BOUND_MS / 1000} s)`,
    [
      "round",
      "what fails",
      "seed",
      "503/reset/hang",
      "trials",
      "pages: cores + dependants",
      "dependants blocked / down",
      "dependant page − detection p50",
      "max",
      "page − (first failure + bound), max",
    ],
    rows,
  );
}
