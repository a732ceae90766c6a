/**
 * `npx tsx test/bench/probe-cpu.ts [PROBES] [RATE]`: the probe path alone, for A/B comparisons
 * of probers. Probes the bench farm (a child process) at RATE probes/s (default 1000) for PROBES
 * probes (default 20,000) and prints this process's CPU per probe (user + system, from
 * process.cpuUsage), after a warm-up of a tenth of the run. No scheduler, engine or metrics.
 * With PROBE_HTTP_MODULE=/abs/dist/probe/http.js, compiled code (for --cpu-prof line numbers).
 */
import { systemClock } from "../../src/time/clock.js";
import { httpTarget } from "../support/targets.js";
import { startFarm } from "./farm.js";

const total = Number(process.argv[2] ?? 20_000);
const rate = Number(process.argv[3] ?? 1000);
const TARGETS = 1000;

// PROBE_HTTP_MODULE: a compiled http.js (e.g. dist/probe/http.js) for a profile with true lines
const module: typeof import("../../src/probe/http.js") = await import(
  process.env.PROBE_HTTP_MODULE ?? "../../src/probe/http.js"
);
const { probeHttp } = module;
const farm = await startFarm(TARGETS);
const targets = Array.from({ length: TARGETS }, (_, i) => httpTarget(farm.url(i)));
const options = { clock: systemClock };

/** Launches `count` probes paced at `rate`/s (in 10 ms batches); resolves when all have ended. */
async function paced(count: number): Promise<Record<string, number>> {
  const verdicts: Record<string, number> = {};
  const running: Promise<void>[] = [];
  const perTick = Math.max(1, Math.round(rate / 100));
  let launched = 0;
  while (launched < count) {
    for (let i = 0; i < perTick && launched < count; i++, launched++) {
      const target = targets[launched % TARGETS];
      if (target === undefined) continue;
      running.push(
        probeHttp(target, options).then((r) => {
          const key = r.result === "failed" ? `${r.reason}: ${r.detail}` : r.result;
          verdicts[key] = (verdicts[key] ?? 0) + 1;
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(running);
  return verdicts;
}

try {
  await paced(Math.round(total / 10));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const verdicts = await paced(total);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  const perProbeUs = (used.user + used.system) / total;
  process.stdout.write(
    `${total} probes in ${seconds.toFixed(1)} s: ${perProbeUs.toFixed(1)} µs CPU/probe ` +
      `(user ${(used.user / total).toFixed(1)}, system ${(used.system / total).toFixed(1)}) ` +
      `${JSON.stringify(verdicts)}\n`,
  );
} finally {
  await farm.close();
}
