import { type ChildProcess, fork } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { openPostgresLedger } from "../../src/ledger/postgres.js";
import { quorumChain } from "../../src/quorum/decider.js";
import { postgresBin, startPostgres } from "../support/external/postgres.js";
import { envNumber, sleep } from "./env.js";
import { reply, stop } from "./farm.js";
import { readProc } from "./proc.js";
import type { DeciderCommit, DeciderStats } from "./quorum-decider.js";
import {
  benchTargets,
  DARK_AT_MS,
  firstSeen,
  INTERVAL_MS,
  QUIET_FLAPS,
  SCRIPT_END_MS,
  scriptEstate,
} from "./quorum-estate.js";
import { printQuorumTables, type Window } from "./quorum-report.js";
import { BenchVantage, type Committed } from "./quorum-vantage.js";

/**
 * Three vantages × N targets at 10 s on Debian's PostgreSQL, one real decider (real election,
 * 250 ms poll) in a child process of its own. The vantages commit the scripted estate of
 * quorum-estate.ts as their engines would; the bench then reads both chains back from the
 * ledger and joins each quorum transition to the commit of the vantage transition that
 * completed it (the one whose `at` the quorum step took).
 */

const GROUP = "estate";
const VANTAGES = ["cgk-1", "dr-1", "sub-1"];
const DECIDER = fileURLToPath(new URL("./quorum-decider.ts", import.meta.url));

export async function quorumBench(): Promise<void> {
  if (!postgresBin("initdb").startsWith("/")) {
    process.stdout.write(
      "\n### Quorum\n\nskipped: PostgreSQL server binaries (initdb, pg_ctl) not found; `apt-get install postgresql`\n",
    );
    return;
  }
  const count = envNumber("BENCH_QUORUM_TARGETS", 10_000, 2_000);
  const targets = benchTargets(count);
  const pg = await startPostgres();
  let child: ChildProcess | null = null;
  const backends = new BackendsCpu("quorum_bench");
  const vantages: BenchVantage[] = [];
  try {
    const url = await pg.createDatabase("quorum_bench");
    const ledger = await openPostgresLedger(url, { poolSize: 6 });
    const quorumCommits: DeciderCommit[] = [];
    const decider = fork(DECIDER, [url, GROUP, String(count)], {
      execArgv: ["--import", "tsx", ...cpuProfArgs()],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child = decider;
    decider.on("message", (m: { kind?: string }) => {
      if (m.kind === "commit") quorumCommits.push(m as DeciderCommit);
    });
    await reply<{ kind?: string }>(decider, { kind: "hello" }, (m) => m.kind === "ready");
    const stats = async (): Promise<Snapshot> => ({
      wall: Date.now(),
      cpuSeconds: readProc(decider.pid ?? 0).cpuSeconds,
      postgresCpuSeconds: backends.total(),
      stats: await reply<DeciderStats>(decider, "stats", (m) => m.kind === "stats"),
    });

    const runStart = Date.now();
    const t0 = runStart + INTERVAL_MS + 2_000;
    const { phases, dues } = scriptEstate(targets, VANTAGES.length, t0);
    for (const [v, instance] of VANTAGES.entries()) {
      const vantage = new BenchVantage(instance, ledger);
      await vantage.start(GROUP, runStart);
      vantage.schedule(firstSeen(targets, phases[v] as number[], runStart + INTERVAL_MS));
      vantage.schedule(dues[v] as never);
      vantages.push(vantage);
    }
    const snapshots: Snapshot[] = [await stats()];
    const bounds: [string, number][] = [
      ["start: every vantage's first probes", t0],
      [
        `quiet: ${QUIET_FLAPS} group flaps, ${QUIET_FLAPS} one-vantage flaps`,
        t0 + DARK_AT_MS + 19_000,
      ],
      ["dark: every target fails for every vantage", t0 + DARK_AT_MS + 40_000],
      ["recovery: airport by airport", t0 + SCRIPT_END_MS + 3_000],
    ];
    for (const [, until] of bounds) {
      while (Date.now() < until) {
        for (const vantage of vantages) vantage.check();
        await sleep(Math.min(1_000, Math.max(1, until - Date.now())));
      }
      snapshots.push(await stats());
    }
    for (const vantage of vantages) {
      if (vantage.pending > 0) throw new Error(`${vantage.instance}: ${vantage.pending} never due`);
      await vantage.stop();
    }
    await stopDecider(decider);
    const committed: Committed[] = vantages.flatMap((v) => v.committed);
    // read both chains back from the ledger: what was stored, not what was sent
    const stored = (
      await Promise.all(VANTAGES.map((instance) => ledger.transitions({ instance })))
    ).flat();
    const chain = await ledger.transitions({ instance: quorumChain(GROUP) });
    await ledger.close();
    const windows: Window[] = bounds.map(([name], i) => ({
      name,
      from: snapshots[i] as Snapshot,
      to: snapshots[i + 1] as Snapshot,
    }));
    printQuorumTables({ count, windows, committed, stored, chain, quorumCommits, t0 });
  } finally {
    for (const vantage of vantages) await vantage.stop().catch(() => undefined);
    backends.stop();
    if (child) await stop(child);
    await pg.stop();
  }
}

export interface Snapshot {
  wall: number;
  /** utime + stime of the decider's process from /proc. */
  cpuSeconds: number;
  /** utime + stime of every PostgreSQL backend serving the bench's database (all clients). */
  postgresCpuSeconds: number;
  stats: DeciderStats;
}

/**
 * The CPU of the PostgreSQL backends whose title names `database`, summed over every backend
 * seen (the pools close idle connections: a gone backend keeps its last reading, taken at most
 * 500 ms before it went).
 */
class BackendsCpu {
  private readonly seen = new Map<number, number>();
  private readonly timer = setInterval(() => this.sample(), 500);

  constructor(private readonly database: string) {
    this.sample();
  }

  total(): number {
    this.sample();
    let seconds = 0;
    for (const cpu of this.seen.values()) seconds += cpu;
    return seconds;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const title = readFileSync(`/proc/${entry}/cmdline`, "utf8");
        if (title.startsWith("postgres: ") && title.includes(` ${this.database} `)) {
          this.seen.set(Number(entry), readProc(Number(entry)).cpuSeconds);
        }
      } catch {
        // gone between listing and reading
      }
    }
  }
}

/** Asks the decider to stop cleanly (its run stopped, a CPU profile written); SIGKILL after 10 s. */
async function stopDecider(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.send("stop");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** BENCH_CPU_PROF_DIR=DIR: the decider child writes a CPU profile there. */
function cpuProfArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}
