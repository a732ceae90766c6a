import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { envNumber, sleep } from "./env.js";
import { startFarm, stop } from "./farm.js";
import { fmtInt, fmtMs } from "./measure.js";
import {
  buildPantau,
  CLI,
  freePort,
  startDaemon,
  waitHealthy,
  workDir,
  writeConfig,
} from "./pantau.js";
import { seedLedger } from "./seed-ledger.js";
import { median, printTable } from "./table.js";

const RUNS = 3;

/** Up to RUNS runs, fewer once 45 s have been spent (a slow query is still reported). */
function repeat(run: () => number): { ms: number; n: number } {
  const times: number[] = [];
  while (times.length < RUNS && times.reduce((a, b) => a + b, 0) < 45_000) times.push(run());
  return { ms: median(times), n: times.length };
}

const cell = ({ ms, n }: { ms: number; n: number }) =>
  n === RUNS ? fmtMs(ms) : `${fmtMs(ms)} (n=${n})`;

function timeCli(args: string[]): number {
  const began = performance.now();
  execFileSync(process.execPath, [CLI, ...args], {
    stdio: ["ignore", "ignore", "inherit"],
    maxBuffer: 1 << 30,
  });
  return performance.now() - began;
}

/**
 * Issue 8 scenario 6: a ledger of count × perTarget transitions, then (median of RUNS each)
 * daemon start-up to /-/healthy, the offline `outages` and `report` over the whole ledger, and
 * `/metrics` scraped from the running daemon once every target has been probed.
 */
export async function queriesBench(): Promise<void> {
  const count = envNumber("BENCH_QUERY_TARGETS", 10_000, 2_000);
  const perTarget = envNumber("BENCH_QUERY_PER_TARGET", 100, 50);
  const days = 30;
  buildPantau();
  const dir = workDir("queries");
  const db = join(dir, "ledger.db");
  const seedBegan = performance.now();
  await seedLedger(db, count, perTarget, days);
  const seedMs = performance.now() - seedBegan;
  const farm = await startFarm(count);
  const rows: string[][] = [];
  try {
    const port = await freePort();
    const config = writeConfig(
      dir,
      farm.url,
      count,
      { interval: "10s", timeout: "2s", failureThreshold: 3 },
      port,
      db,
    );
    const starts: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const began = performance.now();
      const child = spawn(process.execPath, [CLI, "run", "--config", config], { stdio: "ignore" });
      try {
        await waitHealthy(`http://127.0.0.1:${port}`, child);
        starts.push(performance.now() - began);
      } finally {
        await stop(child);
      }
    }
    rows.push([
      "start-up to /-/healthy (`node dist/cli/main.js run`, node start included)",
      fmtMs(median(starts)),
      "< 5 s",
    ]);
    const since = `-${days + 1}d`;
    const outages = repeat(() =>
      timeCli(["outages", "--db", db, "--since", since, "--format", "csv"]),
    );
    rows.push([
      `\`outages --since ${since} --format csv\` (process, to /dev/null)`,
      cell(outages),
      "",
    ]);
    const report = repeat(() =>
      timeCli(["report", "--db", db, "--since", since, "--out", join(dir, "report.md")]),
    );
    rows.push([`\`report --since ${since}\` markdown (process)`, cell(report), "< 1 s"]);
    const html = repeat(() =>
      timeCli(["report", "--db", db, "--since", since, "--out", join(dir, "report.html")]),
    );
    rows.push([`\`report --since ${since} --out report.html\` (process)`, cell(html), ""]);
    const baseline = repeat(() => timeCli(["--version"]));
    rows.push(["for reference: `node dist/cli/main.js --version`", cell(baseline), ""]);
    const daemon = await startDaemon(config, port);
    try {
      await sleep(12_000);
      const scrapes: { ms: number; bytes: number }[] = [];
      for (let i = 0; i < 5; i++) scrapes.push(await daemon.metrics());
      rows.push([
        `live \`GET /metrics\` at ${fmtInt(count)} targets (median of 5; ${(median(scrapes.map((s) => s.bytes)) / 1048576).toFixed(1)} MiB)`,
        fmtMs(median(scrapes.map((s) => s.ms))),
        "< 250 ms",
      ]);
      // the API answers from the same code as the CLI, inside the daemon's process
      for (const path of [`/api/v1/report?since=${since}`, `/api/v1/outages?since=${since}`]) {
        const times: number[] = [];
        let bytes = 0;
        for (let i = 0; i < RUNS; i++) {
          const began = performance.now();
          const response = await fetch(`http://127.0.0.1:${port}${path}`);
          bytes = (await response.arrayBuffer()).byteLength;
          if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
          times.push(performance.now() - began);
        }
        rows.push([
          `live \`GET ${path}\` (${(bytes / 1048576).toFixed(1)} MiB)`,
          fmtMs(median(times)),
          path.includes("report") ? "< 1 s" : "",
        ]);
      }
    } finally {
      await daemon.stop();
    }
  } finally {
    await farm.close();
  }
  printTable(
    `Start-up and queries: ${fmtInt(count)} targets, ledger of ${fmtInt(count * perTarget)} transitions over ${days} days (seeded in ${(seedMs / 1000).toFixed(0)} s; median of ${RUNS} unless stated)`,
    ["what", "time", "target"],
    rows,
  );
}
