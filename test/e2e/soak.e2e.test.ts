import { describe, expect, it } from "vitest";
import { median } from "../bench/table.js";
import { runSoak } from "../soak/soak.js";

/** Issue 9.4, short: 4 minutes of 2,000 churning targets; `SOAK_SEED=N` replays a flap schedule. */
const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 1_000_000));

describe("soak: 2,000 targets with flaps, hangs, resets and a reload every minute", () => {
  it(`shows no growth beyond noise in 4 minutes (seed ${seed})`, async () => {
    const result = await runSoak({ minutes: 4, targets: 2000, seed });
    const rows = result.samples.map(
      (s) =>
        `${s.t}s rss ${s.rssMiB.toFixed(1)} heap ${s.heapMiB.toFixed(1)} fds ${s.fds} lag99 ${s.lagP99Ms.toFixed(1)}ms probes/s ${s.probesPerSecond.toFixed(0)}`,
    );
    process.stdout.write(
      `soak seed ${seed}\n${rows.join("\n")}\n${JSON.stringify(result.checks)}\n`,
    );
    expect(result.errors.first).toEqual([]);
    expect(result.reloads).toEqual({ ok: 3, rejected: 0 });
    expect(result.exit.code).toBe(0);
    expect(result.samples.length).toBeGreaterThanOrEqual(23);
    // 2,000 targets every 5 s is 400 probes/s; the machine is shared, so only half is required
    expect(median(result.samples.map((s) => s.probesPerSecond))).toBeGreaterThan(200);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  }, 360_000);
});
