/**
 * What every prober shares: the start and duration, the one deadline, the trace of what was
 * seen, and the rule that a probe never throws.
 */
import type { Clock } from "../time/clock.js";
import { ProbeDeadline } from "./deadline.js";
import type { Evaluation } from "./evaluate.js";
import { classifyFailure } from "./failure.js";
import type { KindFigures, PhaseTimings, ProbeOptions, ProbeResult } from "./types.js";

/** What a probe saw so far; filled in as it goes, so a failed probe still reports it. */
export interface ProbeTrace {
  /** Summed over redirect hops, as blackbox_exporter does. */
  phases: PhaseTimings;
  status: number | null;
  certExpiresAt: number | null;
  bytesRead: number;
  redirects: number;
  /** HTTP version of the last response (1, 1.1 or 2), or of the server's choice; null when none. */
  httpVersion: number | null;
  /** Set by kinds with figures of their own (dns, grpc). */
  figures: KindFigures | null;
}

export interface ProbeContext {
  clock: Clock;
  deadline: ProbeDeadline;
  trace: ProbeTrace;
}

/** Judges what was seen once the I/O is over, given the probe's measured duration. */
export type Judge = (measured: { durationMs: number; now: number }) => Evaluation;

/**
 * Run `work` under one deadline of `timeoutMs` and turn whatever happens into a ProbeResult.
 * `work` does the I/O and returns how to judge it; any failure it throws becomes a reason.
 */
export async function runProbe(
  timeoutMs: number,
  options: ProbeOptions,
  work: (context: ProbeContext) => Promise<Judge>,
): Promise<ProbeResult> {
  const { clock } = options;
  const startedAt = clock.now();
  const started = clock.monotonic();
  const trace = emptyTrace();
  const deadline = new ProbeDeadline(timeoutMs, options.signal, options.timers);
  let evaluation: Evaluation;
  let durationMs: number;
  try {
    const judge = await deadline.race(work({ clock, deadline, trace }));
    deadline.dispose();
    durationMs = clock.monotonic() - started;
    evaluation = judge({ durationMs, now: clock.now() });
  } catch (error) {
    deadline.dispose();
    durationMs = clock.monotonic() - started;
    // once the deadline has fired, whatever broke next was our own doing: report the timeout
    evaluation = { result: "failed", ...classifyFailure(deadline.expiry ?? error) };
  }
  // copied: steps cut short by the deadline may still settle, and must not change a returned
  // result. Spelled out: object spreads here cost a few µs a probe at a thousand probes a second
  const { phases } = trace;
  return {
    result: evaluation.result,
    reason: evaluation.reason,
    detail: evaluation.detail,
    startedAt,
    durationMs,
    status: trace.status,
    phases: {
      resolve: phases.resolve,
      connect: phases.connect,
      tls: phases.tls,
      processing: phases.processing,
      transfer: phases.transfer,
    },
    certExpiresAt: trace.certExpiresAt,
    bytesRead: trace.bytesRead,
    redirects: trace.redirects,
    httpVersion: trace.httpVersion,
    figures: trace.figures === null ? null : { ...trace.figures },
  };
}

function emptyTrace(): ProbeTrace {
  return {
    phases: { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 },
    status: null,
    certExpiresAt: null,
    bytesRead: 0,
    redirects: 0,
    httpVersion: null,
    figures: null,
  };
}

/** Time `step`, adding its duration to `phase` whether it succeeds or not. */
export async function timePhase<T>(
  context: ProbeContext,
  phase: keyof PhaseTimings,
  step: () => Promise<T>,
): Promise<T> {
  const started = context.clock.monotonic();
  try {
    return await step();
  } finally {
    context.trace.phases[phase] += context.clock.monotonic() - started;
  }
}
