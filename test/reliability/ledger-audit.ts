import type { Gap, OutageRecord, Run, StoredTransition } from "../../src/ledger/ledger.js";

/**
 * The crash harness's verdict on a ledger, pure: what the daemon logged in each life (a line is
 * written only after its transition committed) against what the ledger holds afterwards.
 */

/** A transition as the daemon logged it. */
export interface LoggedTransition {
  target: string;
  from: string;
  to: string;
  at: number;
  /** For a transition out of down: the start of the outage it ends, as the daemon knew it. */
  outageStartedAt: number | null;
}

/** One run of the daemon: its ledger run id, what it logged, when it was SIGKILLed (null: stopped). */
export interface Life {
  runId: number;
  killedAt: number | null;
  logged: LoggedTransition[];
}

export interface LedgerContents {
  runs: Run[];
  gaps: Gap[];
  /** Every transition of the instance, in id order. */
  transitions: StoredTransition[];
  outages: OutageRecord[];
}

export interface AuditStats {
  logged: number;
  /** Committed, but the daemon was killed before its log line was out. */
  committedNotLogged: number;
  transitions: number;
  outages: number;
  openOutages: number;
  /** Outages opened in one run and closed in a later one. */
  acrossKills: number;
  /** Of those, how many recoveries were logged with the outage's start (checked). */
  acrossKillsLogged: number;
  /** Longest time from a killed run's last heartbeat to a later decision of that run, ms. */
  maxHeartbeatAgeMs: number;
}

export type Check = "logged" | "chains" | "outages" | "recoveries" | "runs";

export interface Audit {
  /** What each check found wrong (every check is listed, empty when it holds). */
  violations: Record<Check, string[]>;
  stats: AuditStats;
}

const key = (t: { target: string; from: string; to: string; at: number }) =>
  `${t.target} ${t.from}→${t.to} at ${new Date(t.at).toISOString()}`;
const keyOf = (t: StoredTransition) =>
  key({ target: t.targetId, from: t.from, to: t.to, at: t.at });

/** Every logged line is in the ledger: a run's log is a prefix of its committed transitions. */
function auditLogged(lives: readonly Life[], ledger: LedgerContents, out: string[]): number {
  let unlogged = 0;
  for (const life of lives) {
    const committed = ledger.transitions.filter((t) => t.runId === life.runId);
    life.logged.forEach((line, i) => {
      const stored = committed[i];
      if (stored === undefined || keyOf(stored) !== key(line)) {
        out.push(
          `run ${life.runId}: logged #${i} ${key(line)} is not in the ledger (ledger has ${stored ? keyOf(stored) : "nothing"} there)`,
        );
      }
    });
    unlogged += Math.max(0, committed.length - life.logged.length);
  }
  return unlogged;
}

/** Per target: from unknown, each from = previous to, never from = to, `at` never back. */
function auditChains(ledger: LedgerContents, out: string[]): Map<string, StoredTransition[]> {
  const byTarget = new Map<string, StoredTransition[]>();
  for (const t of ledger.transitions) {
    const chain = byTarget.get(t.targetId) ?? [];
    const previous = chain.at(-1);
    const expected = previous?.to ?? "unknown";
    if (t.from !== expected)
      out.push(`${keyOf(t)}: from ${t.from} but the chain was in ${expected}`);
    if (t.from === t.to) out.push(`${keyOf(t)}: repeats its state`);
    if (previous && t.at < previous.at) {
      out.push(`${keyOf(t)}: earlier than the previous transition ${keyOf(previous)}`);
    }
    chain.push(t);
    byTarget.set(t.targetId, chain);
  }
  return byTarget;
}

interface ExpectedOutage {
  opening: StoredTransition;
  closing: StoredTransition | null;
}

/** The outages the chains imply, against the ledger's outage rows. */
function auditOutages(
  chains: Map<string, StoredTransition[]>,
  ledger: LedgerContents,
  out: string[],
): ExpectedOutage[] {
  const expected: ExpectedOutage[] = [];
  for (const chain of chains.values()) {
    let open: ExpectedOutage | null = null;
    for (const t of chain) {
      if (open && t.from === "down") {
        open.closing = t;
        open = null;
      }
      if (t.to === "down") {
        open = { opening: t, closing: null };
        expected.push(open);
      }
    }
  }
  const rows = new Map(ledger.outages.map((o) => [`${o.targetId}@${o.start}`, o]));
  for (const { opening, closing } of expected) {
    const name = `outage of ${opening.targetId} from ${new Date(opening.at).toISOString()}`;
    const row = rows.get(`${opening.targetId}@${opening.at}`);
    rows.delete(`${opening.targetId}@${opening.at}`);
    if (!row) {
      out.push(`${name}: no outage row with that start`);
      continue;
    }
    const end = closing?.at ?? null;
    if (row.end !== end) out.push(`${name}: row ends at ${row.end}, its chain at ${end}`);
    const endReason =
      closing === null ? null : closing.reason === "removed" ? "removed" : "recovered";
    if (row.endReason !== endReason)
      out.push(`${name}: end reason ${row.endReason}, expected ${endReason}`);
    if (row.reason !== opening.reason)
      out.push(`${name}: reason ${row.reason}, its →down says ${opening.reason}`);
  }
  for (const row of rows.values()) {
    out.push(
      `outage row of ${row.targetId} from ${new Date(row.start).toISOString()} matches no →down`,
    );
  }
  return expected;
}

/** A recovery logged after a restart must name the outage's true start. */
function auditRecoveryLogs(
  expected: readonly ExpectedOutage[],
  lives: readonly Life[],
  out: string[],
): { across: number; logged: number } {
  const logged = new Map<string, LoggedTransition>();
  for (const life of lives)
    for (const line of life.logged) logged.set(`${life.runId} ${key(line)}`, line);
  let across = 0;
  let checked = 0;
  for (const { opening, closing } of expected) {
    if (!closing || closing.runId === opening.runId) continue;
    across++;
    const line = logged.get(`${closing.runId} ${keyOf(closing)}`);
    if (!line) continue;
    checked++;
    if (line.outageStartedAt !== opening.at) {
      out.push(
        `${keyOf(closing)}: logged as ending an outage from ${line.outageStartedAt === null ? "nowhere" : new Date(line.outageStartedAt).toISOString()}, it began ${new Date(opening.at).toISOString()} in run ${opening.runId}`,
      );
    }
  }
  return { across, logged: checked };
}

/** One run per life; killed runs have no clean stop; one restart gap per restart, heartbeat to start. */
function auditRuns(
  lives: readonly Life[],
  ledger: LedgerContents,
  heartbeatSlackMs: number,
  out: string[],
): number {
  let maxAge = 0;
  const runs = [...ledger.runs].sort((a, b) => a.id - b.id);
  if (runs.map((r) => r.id).join() !== lives.map((l) => l.runId).join()) {
    out.push(
      `runs ${runs.map((r) => r.id).join()} are not the lives ${lives.map((l) => l.runId).join()}`,
    );
    return maxAge;
  }
  const restarts = ledger.gaps
    .filter((g) => g.kind === "restart")
    .sort((a, b) => a.start - b.start);
  if (restarts.length !== runs.length - 1) {
    out.push(`${restarts.length} restart gaps for ${runs.length - 1} restarts`);
  }
  runs.forEach((run, i) => {
    const life = lives[i] as Life;
    const killed = life.killedAt !== null;
    if (killed !== (run.stoppedAt === null)) {
      out.push(
        `run ${run.id}: ${killed ? "killed" : "stopped"} but stopped_at is ${run.stoppedAt}`,
      );
    }
    const next = runs[i + 1];
    if (!next) return;
    const gap = restarts[i];
    if (!gap || gap.start !== run.lastHeartbeat || gap.end !== next.startedAt) {
      out.push(
        `restart ${i + 1}: gap ${gap ? `${gap.start}–${gap.end}` : "missing"}, expected ${run.lastHeartbeat}–${next.startedAt} (last heartbeat to next start)`,
      );
    }
    if (life.killedAt !== null) {
      if (run.lastHeartbeat > life.killedAt || next.startedAt < life.killedAt) {
        out.push(
          `restart ${i + 1}: kill at ${life.killedAt} is outside ${run.lastHeartbeat}–${next.startedAt}`,
        );
      }
    }
    // Against the run's own last decision, not the kill: a loaded machine delays both alike.
    const age = lastDecision(ledger, run.id) - run.lastHeartbeat;
    maxAge = Math.max(maxAge, age);
    if (age > heartbeatSlackMs) {
      out.push(
        `run ${run.id}: decided a transition ${age} ms after its last heartbeat (heartbeats stopped?)`,
      );
    }
  });
  return maxAge;
}

function lastDecision(ledger: LedgerContents, runId: number): number {
  let last = Number.NEGATIVE_INFINITY;
  for (const t of ledger.transitions) if (t.runId === runId) last = Math.max(last, t.detectedAt);
  return last;
}

export function auditLedger(
  lives: readonly Life[],
  ledger: LedgerContents,
  options: { heartbeatSlackMs: number },
): Audit {
  const found: Record<Check, string[]> = {
    logged: [],
    chains: [],
    outages: [],
    recoveries: [],
    runs: [],
  };
  const committedNotLogged = auditLogged(lives, ledger, found.logged);
  const chains = auditChains(ledger, found.chains);
  const expected = auditOutages(chains, ledger, found.outages);
  const recoveries = auditRecoveryLogs(expected, lives, found.recoveries);
  const maxHeartbeatAgeMs = auditRuns(lives, ledger, options.heartbeatSlackMs, found.runs);
  return {
    violations: found,
    stats: {
      logged: lives.reduce((n, l) => n + l.logged.length, 0),
      committedNotLogged,
      transitions: ledger.transitions.length,
      outages: expected.length,
      openOutages: expected.filter((o) => o.closing === null).length,
      acrossKills: recoveries.across,
      acrossKillsLogged: recoveries.logged,
      maxHeartbeatAgeMs,
    },
  };
}
