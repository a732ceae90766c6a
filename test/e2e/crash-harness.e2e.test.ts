import { describe, expect, it } from "vitest";
import { crashSeed, runCrashHarness } from "../reliability/crash-harness.js";

/** The crash harness end to end: `CRASH_SEED=N` replays a run's flap schedule and kill moments. */
const seed = crashSeed(process.env.CRASH_SEED);

describe("crash safety: 20 SIGKILLs while 1,000 targets flap", () => {
  it(`loses nothing acknowledged, keeps every chain and outage whole, records every gap (seed ${seed})`, async () => {
    process.stdout.write(`crash harness seed ${seed} (replay: CRASH_SEED=${seed})\n`);
    const { audit, lives, finalExit } = await runCrashHarness({
      seed,
      kills: 20,
      targets: 1000,
      lifeMs: { min: 1500, max: 4500 },
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`crash harness stats: ${JSON.stringify(audit.stats)}\n`);
    const counts = Object.entries(audit.violations).map(
      ([check, found]) => `${check} ${found.length}`,
    );
    process.stdout.write(`violations by check: ${counts.join(", ")}\n`);
    // the first few of each check, so that one flood does not hide another
    expect(Object.values(audit.violations).flatMap((found) => found.slice(0, 5))).toEqual([]);
    expect(finalExit).toBe(0);
    expect(lives).toHaveLength(21);
    // the run exercised what it claims to check
    expect(audit.stats.logged).toBeGreaterThan(1000);
    expect(audit.stats.acrossKills).toBeGreaterThan(20);
    expect(audit.stats.acrossKillsLogged).toBeGreaterThan(0);
    expect(audit.stats.openOutages).toBe(0);
  }, 300_000);
});
