/**
 * The quorum bench's decider child (`quorum.bench.ts` forks it, so its CPU is its own): one real
 * QuorumDecider on the real PostgreSQL ledger and LeaderElection, polling every 250 ms as a
 * vantage daemon's does. Argv: URL, GROUP, TARGETS. Over IPC it reports every quorum commit with
 * the wall time it resolved at, and on "stats" what it read and where its rounds spent their time
 * (wall ms in each ledger method, in rounds overall); "stop" stops it cleanly.
 */
import type { Target } from "../../src/config/types.js";
import { LeaderElection } from "../../src/fleet/election.js";
import { openPostgresLedger } from "../../src/ledger/postgres.js";
import { createLogger } from "../../src/log/logger.js";
import { QuorumDecider, quorumChain } from "../../src/quorum/decider.js";
import { systemClock, systemTimers } from "../../src/time/clock.js";
import { benchTargets } from "./quorum-estate.js";

export interface DeciderCommit {
  kind: "commit";
  /** Date.now() when commitQuorum resolved (the decider publishes right after it). */
  wall: number;
  transitions: { id: number; targetId: string; to: string; at: number }[];
}

export interface DeciderStats {
  kind: "stats";
  /** Vantage transitions the decider read (transitionsAfter and transitions rows). */
  read: number;
  written: number;
  rounds: number;
  /** Wall ms inside rounds, and inside each ledger method called from them. */
  roundMs: number;
  /** The slowest round since the previous "stats" (wall ms). */
  maxRoundMs: number;
  ledgerMs: Record<string, number>;
  ledgerCalls: Record<string, number>;
  /** process.cpuUsage() user+system, µs. */
  cpuMicros: number;
}

const [url = "", group = "estate", count = "10000"] = process.argv.slice(2);
const targets: readonly Target[] = benchTargets(Number(count));
const ledger = await openPostgresLedger(url, { poolSize: 4 });

const stats: DeciderStats = {
  kind: "stats",
  read: 0,
  written: 0,
  rounds: 0,
  roundMs: 0,
  maxRoundMs: 0,
  ledgerMs: {},
  ledgerCalls: {},
  cpuMicros: 0,
};

// time every ledger method the decider calls (wall time: PostgreSQL's share and the wait for it)
const timed = ledger as unknown as Record<string, unknown>;
for (const name of [
  "quorumMembers",
  "runs",
  "gaps",
  "transitionsAfter",
  "transitions",
  "lastTransitionsBefore",
  "latestTransitions",
  "commitQuorum",
  "openOutagesOf",
  "outages",
  "heartbeat",
  "leader",
  "claimLeadership",
]) {
  const method = timed[name] as (...args: unknown[]) => Promise<unknown>;
  timed[name] = async (...args: unknown[]) => {
    const start = performance.now();
    try {
      const result = await method.apply(ledger, args);
      // a vantage's transitions are read by id, or by time when the decider first meets it
      if (name === "transitionsAfter" || name === "transitions") {
        stats.read += (result as unknown[]).length;
      }
      return result;
    } finally {
      stats.ledgerMs[name] = (stats.ledgerMs[name] ?? 0) + performance.now() - start;
      stats.ledgerCalls[name] = (stats.ledgerCalls[name] ?? 0) + 1;
    }
  };
}

const election = new LeaderElection(
  { url, haGroup: quorumChain(group), keepaliveSeconds: 1 },
  (reason) => decider.lockLost(reason),
);
const decider: QuorumDecider = new QuorumDecider({
  group,
  minDown: { count: 2 },
  deadAfterMs: 15_000,
  instance: "bench-decider",
  ledger,
  election,
  targets: () => targets,
  clock: systemClock,
  timers: systemTimers,
  pollMs: 250,
  heartbeatMs: 1_000,
  logger: createLogger({ level: "warn", pretty: false }),
  publish: (event) => {
    if (event.kind !== "committed") return;
    stats.written += event.transitions.length;
    const message: DeciderCommit = {
      kind: "commit",
      wall: Date.now(),
      transitions: event.transitions.map((t) => ({
        id: t.id,
        targetId: t.targetId,
        to: t.to,
        at: t.at,
      })),
    };
    process.send?.(message);
  },
});

// every round's wall time (tick is what the poll timer calls)
const tick = decider.tick.bind(decider);
decider.tick = async () => {
  const start = performance.now();
  try {
    await tick();
  } finally {
    const ms = performance.now() - start;
    stats.rounds++;
    stats.roundMs += ms;
    stats.maxRoundMs = Math.max(stats.maxRoundMs, ms);
  }
};

process.on("message", (message: unknown) => {
  if (message === "stats") {
    const cpu = process.cpuUsage();
    process.send?.({ ...stats, cpuMicros: cpu.user + cpu.system });
    stats.maxRoundMs = 0;
  } else if (message === "stop") {
    void decider
      .stop()
      .then(() => ledger.close())
      .finally(() => process.exit(0));
  }
});
process.on("SIGTERM", () => process.exit(0));

await decider.start();
process.send?.({ kind: "ready" });
