import type { StoredTransition } from "../../src/ledger/ledger.js";
import { fmtMs } from "./measure.js";
import type { Snapshot } from "./quorum.bench.js";
import type { DeciderCommit } from "./quorum-decider.js";
import { DARK_AT_MS } from "./quorum-estate.js";
import type { Committed } from "./quorum-vantage.js";
import { printTable, quantile } from "./table.js";

/** One measured stretch of the script, between two snapshots of the decider. */
export interface Window {
  name: string;
  from: Snapshot;
  to: Snapshot;
}

export interface QuorumResults {
  count: number;
  windows: readonly Window[];
  /** Vantage commits as the bench made them (ids and wall times). */
  committed: readonly Committed[];
  /** The vantages' transitions read back from the ledger. */
  stored: readonly StoredTransition[];
  /** The group's chain read back from the ledger. */
  chain: readonly StoredTransition[];
  quorumCommits: readonly DeciderCommit[];
  t0: number;
}

interface Latency {
  wall: number;
  ms: number;
  quorum: StoredTransition;
  /** Joined to the newest news at or before it: no vantage transition had its step. */
  unmatched: boolean;
}

/**
 * Joins each quorum transition to the vantage transition that completed it: the one whose `at`
 * the quorum step took (the need-th vantage's), committed before the quorum's commit; and
 * prints the figures per window.
 */
export function printQuorumTables(r: QuorumResults): void {
  const vantageWall = new Map(r.committed.map((c) => [c.id, c.wall]));
  const quorumWall = new Map<number, number>();
  for (const commit of r.quorumCommits)
    for (const t of commit.transitions) quorumWall.set(t.id, commit.wall);
  const byTarget = new Map<string, { at: number; to: string; wall: number }[]>();
  for (const t of r.stored) {
    const wall = vantageWall.get(t.id);
    if (wall === undefined)
      throw new Error(`vantage transition ${t.id} was not committed by the bench`);
    const list = byTarget.get(t.targetId) ?? [];
    list.push({ at: t.at, to: t.to, wall });
    byTarget.set(t.targetId, list);
  }
  const latencies: Latency[] = [];
  let unmatched = 0;
  for (const q of r.chain) {
    const wall = quorumWall.get(q.id);
    if (wall === undefined)
      throw new Error(`quorum transition ${q.id} was not reported by the decider`);
    const before = (byTarget.get(q.targetId) ?? []).filter((v) => v.wall <= wall);
    let causes = before.filter((v) => v.at === q.at && v.to === q.to);
    const matched = causes.length > 0;
    if (!matched) {
      // a step moved to the chain's end: the newest news at or before it
      unmatched++;
      causes = before.filter((v) => v.at <= q.at);
    }
    const completing = Math.max(...causes.map((v) => v.wall));
    latencies.push({ wall, ms: wall - completing, quorum: q, unmatched: !matched });
  }

  const rows = r.windows.map((w) => {
    const inWindow = (wall: number) => wall >= w.from.wall && wall < w.to.wall;
    const lat = latencies.filter((l) => inWindow(l.wall)).map((l) => l.ms);
    const cpuMs = (w.to.cpuSeconds - w.from.cpuSeconds) * 1000;
    const seconds = (w.to.wall - w.from.wall) / 1000;
    const read = w.to.stats.read - w.from.stats.read;
    const vantageCommits = r.committed.filter((c) => inWindow(c.wall));
    const lag = vantageCommits.map((c) => c.wall - c.due);
    return [
      w.name,
      seconds.toFixed(0),
      String(vantageCommits.length),
      lag.length ? fmtMs(quantile(lag, 0.99)) : "-",
      String(read),
      String(w.to.stats.written - w.from.stats.written),
      cpuMs.toFixed(0),
      `${(cpuMs / 10 / seconds).toFixed(1)} %`,
      ((w.to.postgresCpuSeconds - w.from.postgresCpuSeconds) * 1000).toFixed(0),
      read > 0 ? ((cpuMs * 1000) / read).toFixed(0) : "-",
      lat.length ? fmtMs(quantile(lat, 0.5)) : "-",
      lat.length ? fmtMs(quantile(lat, 0.99)) : "-",
      lat.length ? fmtMs(Math.max(...lat)) : "-",
    ];
  });
  const first = r.windows[0] as Window;
  const last = r.windows.at(-1) as Window;
  const allLat = latencies.map((l) => l.ms);
  const allCpu = (last.to.cpuSeconds - first.from.cpuSeconds) * 1000;
  const allRead = last.to.stats.read - first.from.stats.read;
  const allSeconds = (last.to.wall - first.from.wall) / 1000;
  rows.push([
    "all",
    allSeconds.toFixed(0),
    String(r.committed.length),
    fmtMs(
      quantile(
        r.committed.map((c) => c.wall - c.due),
        0.99,
      ),
    ),
    String(allRead),
    String(last.to.stats.written - first.from.stats.written),
    allCpu.toFixed(0),
    `${(allCpu / 10 / allSeconds).toFixed(1)} %`,
    ((last.to.postgresCpuSeconds - first.from.postgresCpuSeconds) * 1000).toFixed(0),
    allRead > 0 ? ((allCpu * 1000) / allRead).toFixed(0) : "-",
    fmtMs(quantile(allLat, 0.5)),
    fmtMs(quantile(allLat, 0.99)),
    fmtMs(Math.max(...allLat)),
  ]);
  printTable(
    `Quorum: 3 vantages × ${r.count} targets at 10 s, min_down 2, one decider (poll 250 ms) on PostgreSQL`,
    [
      "window",
      "s",
      "vantage commits",
      "their commit − due p99",
      "read by decider",
      "quorum written",
      "decider CPU ms",
      "of a core",
      "PostgreSQL CPU ms (all clients)",
      "decider CPU µs / vantage transition",
      "completing commit → quorum commit p50",
      "p99",
      "max",
    ],
    rows,
  );
  process.stdout.write(
    `\nquorum transitions: ${r.chain.length} (${unmatched} matched to the newest news instead of their own step); ${exactness(r)}\n${slowest(r, latencies)}`,
  );
  printProfile(r.windows);
}

/** Whether each dark outage starts at the second vantage's first failed probe. */
function exactness(r: QuorumResults): string {
  const dark = r.t0 + DARK_AT_MS;
  const starts = new Map<string, number[]>();
  for (const t of r.stored) {
    if (t.to !== "down" || t.at < dark) continue;
    const list = starts.get(t.targetId) ?? [];
    list.push(t.at);
    starts.set(t.targetId, list);
  }
  let outages = 0;
  let exact = 0;
  const off: string[] = [];
  let worst = 0;
  for (const q of r.chain) {
    if (q.to !== "down" || q.at < dark) continue;
    outages++;
    const ats = (starts.get(q.targetId) ?? []).sort((a, b) => a - b);
    if (ats[1] === q.at) {
      exact++;
      continue;
    }
    worst = Math.max(worst, Math.abs(q.at - (ats[1] ?? q.at)));
    if (off.length < 5) off.push(inexact(r, q));
  }
  const lines = off.map((line) => `\n  not exact: ${line}`).join("");
  return `dark outages: ${outages} of ${r.count} targets, ${exact} starting exactly at the second vantage's first failed probe (the others off by at most ${worst} ms)${lines}`;
}

/** The three slowest quorum commits, with what each vantage committed: where a max comes from. */
function slowest(r: QuorumResults, latencies: readonly Latency[]): string {
  return [...latencies]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3)
    .map((l) => {
      const how = l.unmatched ? ", joined to the newest news" : "";
      return `  slowest (${fmtMs(l.ms)}${how}): ${inexact(r, l.quorum)}\n`;
    })
    .join("");
}

/** A quorum transition's story: what each vantage committed from 15 s before it on, and when. */
function inexact(r: QuorumResults, q: StoredTransition): string {
  const walls = new Map(r.committed.map((c) => [c.id, c.wall]));
  const qWall = r.quorumCommits.find((c) => c.transitions.some((t) => t.id === q.id))?.wall;
  const rel = (t: number | undefined) =>
    t === undefined ? "?" : `${((t - r.t0) / 1000).toFixed(3)}`;
  const vantage = r.stored
    .filter((t) => t.targetId === q.targetId && t.at >= q.at - 15_000)
    .map(
      (t) => `${t.instance} ${t.from}→${t.to} at ${rel(t.at)} committed ${rel(walls.get(t.id))}`,
    );
  return `${q.targetId}: quorum ${q.from}→${q.to} at ${rel(q.at)} committed ${rel(qWall)}; ${vantage.join("; ")} (s after T0)`;
}

const REFRESH = ["quorumMembers", "runs", "gaps"];
const OWN = [
  "openOutagesOf",
  "outages",
  "heartbeat",
  "leader",
  "claimLeadership",
  "latestTransitions",
  "lastTransitionsBefore",
  "transitions",
];

/** Where the rounds spent their wall time: reading, refreshing standings, committing, the rest. */
function printProfile(windows: readonly Window[]): void {
  const rows = windows.map((w) => {
    const a = w.from.stats;
    const b = w.to.stats;
    const ms = (names: readonly string[]) =>
      names.reduce((sum, n) => sum + (b.ledgerMs[n] ?? 0) - (a.ledgerMs[n] ?? 0), 0);
    const calls = (n: string) => (b.ledgerCalls[n] ?? 0) - (a.ledgerCalls[n] ?? 0);
    const rounds = b.rounds - a.rounds;
    const slowest = b.maxRoundMs;
    const roundMs = b.roundMs - a.roundMs;
    const read = ms(["transitionsAfter"]);
    const refresh = ms(REFRESH);
    const commit = ms(["commitQuorum"]);
    const own = ms(OWN);
    return [
      w.name,
      String(rounds),
      fmtMs(roundMs),
      fmtMs(slowest),
      `${fmtMs(read)} (${calls("transitionsAfter")})`,
      `${fmtMs(refresh)} (${calls("quorumMembers")})`,
      `${fmtMs(commit)} (${calls("commitQuorum")})`,
      fmtMs(own),
      fmtMs(roundMs - read - refresh - commit - own),
    ];
  });
  printTable(
    "Quorum decider: where its rounds spent their wall time (ledger calls timed in the decider)",
    [
      "window",
      "rounds",
      "in rounds",
      "slowest round",
      "reading vantages (calls)",
      "members, runs, gaps (rounds)",
      "commitQuorum (calls)",
      "attribution reads, heartbeat, leader, load",
      "the rest: judging, in process",
    ],
    rows,
  );
}
