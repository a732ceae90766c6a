import { describe, expect, it } from "vitest";
import type { OutageRecord, StoredTransition } from "../../src/ledger/ledger.js";
import { auditLedger, type LedgerContents, type Life } from "./ledger-audit.js";

const T0 = Date.parse("2026-11-29T08:00:00.000Z");
const s = (seconds: number) => T0 + seconds * 1000;

let nextId = 1;
function stored(
  runId: number,
  target: string,
  from: string,
  to: string,
  at: number,
): StoredTransition {
  return {
    id: nextId++,
    runId,
    instance: "crash-harness",
    targetId: target,
    service: "svc",
    site: "site",
    from: from as StoredTransition["from"],
    to: to as StoredTransition["to"],
    at,
    detectedAt: at + 500,
    reason: to === "down" ? "status" : null,
    detail: null,
    blockedBy: null,
    maintenance: false,
    previousProbeAt: null,
  };
}

function outage(target: string, start: number, end: number | null): OutageRecord {
  return {
    id: 1,
    instance: "crash-harness",
    targetId: target,
    service: "svc",
    site: "site",
    start,
    end,
    detectedAt: start + 500,
    reason: "status",
    detail: null,
    blockedBy: null,
    blockedUntil: null,
    maintenance: false,
    endReason: end === null ? null : "recovered",
    lastOkAt: null,
    lastFailedAt: null,
    pageSettledAt: start + 500,
  };
}

/**
 * Run 1 (killed at 10 s): a goes up, then down at 6 s; b goes up (committed, not logged).
 * Run 2 (stopped): a recovers at 14 s, logged with its outage's start.
 */
function consistent(): { lives: Life[]; ledger: LedgerContents } {
  nextId = 1;
  const transitions = [
    stored(1, "a", "unknown", "up", s(1)),
    stored(1, "a", "up", "down", s(6)),
    stored(1, "b", "unknown", "up", s(8)),
    stored(2, "a", "down", "up", s(14)),
  ];
  const lives: Life[] = [
    {
      runId: 1,
      killedAt: s(10),
      logged: [
        { target: "a", from: "unknown", to: "up", at: s(1), outageStartedAt: null },
        { target: "a", from: "up", to: "down", at: s(6), outageStartedAt: null },
      ],
    },
    {
      runId: 2,
      killedAt: null,
      logged: [{ target: "a", from: "down", to: "up", at: s(14), outageStartedAt: s(6) }],
    },
  ];
  const ledger: LedgerContents = {
    runs: [
      { id: 1, instance: "crash-harness", startedAt: s(0), lastHeartbeat: s(9.8), stoppedAt: null },
      {
        id: 2,
        instance: "crash-harness",
        startedAt: s(11),
        lastHeartbeat: s(20),
        stoppedAt: s(20),
      },
    ],
    gaps: [{ instance: "crash-harness", kind: "restart", start: s(9.8), end: s(11) }],
    transitions,
    outages: [outage("a", s(6), s(14))],
  };
  return { lives, ledger };
}

const audit = (c: { lives: Life[]; ledger: LedgerContents }) =>
  auditLedger(c.lives, c.ledger, { heartbeatSlackMs: 3000 });

describe("the crash harness's ledger audit", () => {
  it("accepts a consistent history and counts what it checked", () => {
    expect(audit(consistent())).toEqual({
      violations: { logged: [], chains: [], outages: [], recoveries: [], runs: [] },
      stats: {
        logged: 3,
        committedNotLogged: 1,
        transitions: 4,
        outages: 1,
        openOutages: 0,
        acrossKills: 1,
        acrossKillsLogged: 1,
        maxHeartbeatAgeMs: 0,
      },
    });
  });

  const cases: [string, (c: ReturnType<typeof consistent>) => void, string][] = [
    [
      "a logged transition the ledger lost (published before commit)",
      (c) => c.ledger.transitions.splice(1, 1),
      "run 1: logged #1 a up→down at 2026-11-29T08:00:06.000Z is not in the ledger",
    ],
    [
      "a transition that repeats its state",
      (c) => c.ledger.transitions.push(stored(2, "b", "up", "up", s(15))),
      "b up→up at 2026-11-29T08:00:15.000Z: repeats its state",
    ],
    [
      "a broken chain (state not restored after the restart)",
      (c) => c.ledger.transitions.push(stored(2, "b", "unknown", "down", s(15))),
      "b unknown→down at 2026-11-29T08:00:15.000Z: from unknown but the chain was in up",
    ],
    [
      "a transition earlier than the one before",
      (c) => c.ledger.transitions.push(stored(2, "b", "up", "degraded", s(7))),
      "b up→degraded at 2026-11-29T08:00:07.000Z: earlier than the previous transition",
    ],
    [
      "an outage row that lost its true start",
      (c) => {
        c.ledger.outages = [outage("a", s(11), s(14))];
      },
      "outage of a from 2026-11-29T08:00:06.000Z: no outage row with that start",
    ],
    [
      "an outage row left open",
      (c) => {
        c.ledger.outages = [outage("a", s(6), null)];
      },
      "outage of a from 2026-11-29T08:00:06.000Z: row ends at null",
    ],
    [
      "a recovery logged with the restart as the outage's start",
      (c) => {
        const line = c.lives[1]?.logged[0];
        if (line) line.outageStartedAt = s(11);
      },
      "logged as ending an outage from 2026-11-29T08:00:11.000Z, it began 2026-11-29T08:00:06.000Z in run 1",
    ],
    [
      "a restart without a gap",
      (c) => {
        c.ledger.gaps = [];
      },
      "0 restart gaps for 1 restarts",
    ],
    [
      "a gap that does not start at the last heartbeat",
      (c) => {
        c.ledger.gaps = [
          { instance: "crash-harness", kind: "restart", start: s(10.5), end: s(11) },
        ];
      },
      "restart 1: gap",
    ],
    [
      "heartbeats that stopped long before the kill",
      (c) => {
        const run = c.ledger.runs[0];
        if (run) run.lastHeartbeat = s(2);
        c.ledger.gaps = [{ instance: "crash-harness", kind: "restart", start: s(2), end: s(11) }];
      },
      "run 1: decided a transition 6500 ms after its last heartbeat",
    ],
    [
      "a killed run recorded as a clean stop",
      (c) => {
        const run = c.ledger.runs[0];
        if (run) run.stoppedAt = s(9.8);
      },
      "run 1: killed but stopped_at is",
    ],
  ];

  it.each(cases)("finds %s", (_name, breakIt, expected) => {
    const c = consistent();
    breakIt(c);
    const violations = Object.values(audit(c).violations).flat();
    expect(
      violations.some((v) => v.includes(expected)),
      violations.join("\n"),
    ).toBe(true);
  });
});
