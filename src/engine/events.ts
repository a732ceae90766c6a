import type { Target } from "../config/types.js";
import type { Transition } from "../health/types.js";
import type { AttributionChange, NewTransition, PushRecord } from "../ledger/ledger.js";
import type { ProbeResult } from "../probe/types.js";
import type { WallClockJump } from "../time/wall-clock-watch.js";
import type { LedgerRecoveryReport, LedgerTroubleReport } from "./ledger-trouble.js";
import type { PageHoldChange } from "./page-holds.js";
import type { CommittedTransition, QueueState } from "./types.js";

/**
 * What the engine tells its readers (metrics, the log, alerts, an HA member, the demo's board):
 * one event type, published in the order things happened. Facts — `committed`, `holds`,
 * `blind` — are published only once the ledger has accepted what they rest on.
 */
export type EngineEvent =
  /** A probe's result as it came (probe_* metrics, the debug log). */
  | { kind: "probed"; target: Target; result: ProbeResult }
  /**
   * One commit: its transitions in order, the changes of `blocked_by` of targets already down
   * (a late cause, a release), and the page holds it opened or settled — read in that order.
   */
  | {
      kind: "committed";
      transitions: readonly CommittedTransition[];
      attributions: readonly AttributionChange[];
      holds: readonly PageHoldChange[];
      /** An HA standby's view of what its leader committed: shown, not its own to tell. */
      adopted?: true;
    }
  /** Page holds settled between commits: an upstream seen healthy, a bound reached. */
  | { kind: "holds"; changes: readonly PageHoldChange[] }
  /** A target entered or left a maintenance window (seen at a probe's start). */
  | { kind: "maintenance"; target: Target; inMaintenance: boolean }
  /** Every canary fails (blind) or one answers again, at `at`; after its gap is written. */
  | { kind: "blind"; blind: boolean; at: number }
  /** One ledger write ended (see LedgerWrite). */
  | ({ kind: "write" } & LedgerWrite)
  /** The ledger stopped taking writes (the first failure, then once per interval), or took them again. */
  | { kind: "unwritable"; report: LedgerTroubleReport; queue: QueueState }
  | { kind: "writable"; report: LedgerRecoveryReport; queue: QueueState }
  /** The queue of decided, uncommitted transitions changed; `putOff`: a decision put off, the queue being full. */
  | { kind: "queue"; queue: QueueState; putOff?: Transition }
  /** The wall clock stepped against the monotonic one. */
  | { kind: "clock-jump"; jump: WallClockJump }
  /**
   * A push target's last push or next deadline changed: a push came, a deadline passed, its
   * watch began (with its last push from the ledger). `deadline`: when the next push is due.
   */
  | { kind: "push"; target: Target; lastPush: PushRecord | null; deadline: number };

/**
 * A write of transitions (with their attributions) or of a blind gap: `ok`; `error`, kept and
 * retried; or `refused` as inconsistent, a bug rather than an outage, dropped with what was
 * decided on top of it.
 */
export type LedgerWrite =
  | { result: "ok"; what: "transitions" | "gap"; durationMs: number; count: number }
  | {
      result: "error";
      what: "transitions" | "gap";
      durationMs: number;
      count: number;
      error: unknown;
      /** What is still waiting to be written. */
      pending: number;
    }
  | {
      result: "refused";
      what: "transitions" | "gap";
      durationMs: number;
      count: number;
      error: unknown;
      dropped: readonly NewTransition[];
    };

export type EngineListener = (event: EngineEvent) => void;
