import type { Logger } from "../log/logger.js";

/**
 * How `pantau run` acts on signals, and its last resorts: a stop that overruns its bound and a
 * stop asked for during a start that does not finish are both ended with exit 1. The process's
 * signals and `process.exit` are the defaults; tests pass an emitter and a recorder.
 */

/** Past the stop's own bound, this long for the last words before the process is ended. */
export const EXIT_GRACE_MS = 5000;

type SignalListener = (signal: NodeJS.Signals) => void;

/** Where SIGTERM, SIGINT and SIGHUP come from: the process, or a test's emitter. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: SignalListener): unknown;
  off(signal: NodeJS.Signals, listener: SignalListener): unknown;
}

export interface SignalBounds {
  logger: Logger;
  /** `--stop-timeout`: what a stop may take, and how long a stop waits for a start. */
  stopTimeoutMs: number;
  signals?: SignalSource;
  /** Ends the process at once; `process.exit` unless a test records it. */
  exit?: (code: number) => void;
  /** Monotonic milliseconds (`performance.now` unless a test's fake clock). */
  now?: () => number;
}

/** What the signals act on once the daemon has started. */
export interface SignalledDaemon {
  /** `withinMs`: what is left of the stop's bound (less when the signal came during the start). */
  stop(withinMs?: number): Promise<void>;
  reload(): Promise<unknown>;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"];
const exitProcess = (code: number): void => process.exit(code);
const monotonicNow = (): number => performance.now();

/**
 * Trapped before the start: a SIGTERM during it (systemd stopping a unit it just started) stops
 * the daemon cleanly once it has started, instead of killing it mid-start. A start that is still
 * not done `stopTimeoutMs` after that signal (a store that accepts and never answers) will never
 * be stopped cleanly: the process is ended with exit 1 and a `start_overrun` line.
 */
export class EarlySignals {
  stop: NodeJS.Signals | null = null;
  /** When the stop signal came (bounds.now): the stop's bound runs from then, not from the start's end. */
  stopAt: number | null = null;
  reload = false;
  private readonly signals: SignalSource;
  private overrun: ReturnType<typeof setTimeout> | null = null;
  private readonly onStop = (signal: NodeJS.Signals) => {
    if (this.stop !== null) return;
    this.stop = signal;
    this.stopAt = (this.bounds.now ?? monotonicNow)();
    const { logger, stopTimeoutMs } = this.bounds;
    logger.info(
      { event: "signal", signal, starting: true },
      `${signal} during the start: stopping once it has started`,
    );
    // ref'd: a start that hangs on nothing the event loop counts must still end in time
    this.overrun = setTimeout(() => {
      logger.fatal(
        { event: "start_overrun", signal, bound_ms: stopTimeoutMs },
        `the start did not finish within ${stopTimeoutMs} ms of ${signal}: exiting`,
      );
      logger.flush?.();
      (this.bounds.exit ?? exitProcess)(1);
    }, stopTimeoutMs);
  };
  private readonly onHup = () => {
    this.reload = true;
  };

  constructor(private readonly bounds: SignalBounds) {
    this.signals = bounds.signals ?? process;
    for (const signal of STOP_SIGNALS) this.signals.on(signal, this.onStop);
    this.signals.on("SIGHUP", this.onHup);
  }

  /** The start has ended (done or failed): the signals are someone else's now. */
  release(): void {
    if (this.overrun !== null) clearTimeout(this.overrun);
    this.overrun = null;
    for (const signal of STOP_SIGNALS) this.signals.off(signal, this.onStop);
    this.signals.off("SIGHUP", this.onHup);
  }
}

/**
 * SIGTERM/SIGINT stop cleanly (resolves 0; 1 when something was lost); SIGHUP reloads. A stop
 * that overruns its bound + EXIT_GRACE_MS (a socket or a store that never answers) is ended:
 * exit 1 and a `stop_overrun` line. The bound runs from the signal: one that came during the
 * start leaves the stop what the start did not use.
 */
export function untilStopped(
  daemon: SignalledDaemon,
  bounds: SignalBounds,
  early: EarlySignals,
): Promise<number> {
  const { logger, stopTimeoutMs } = bounds;
  const signals = bounds.signals ?? process;
  const exit = bounds.exit ?? exitProcess;
  return new Promise((resolve) => {
    // a reload that throws (a ledger it could not read) is logged, never an unhandled rejection
    const onHup = () =>
      void daemon.reload().catch((error: unknown) => {
        logger.error({ event: "reload_failed", err: error }, "config reload failed");
      });
    let stopping = false;
    const onStop = (signal: NodeJS.Signals, usedMs = 0) => {
      // the same signal again is not trapped any more: a second SIGTERM ends the process at once
      signals.off(signal, onStop);
      signals.off("SIGHUP", onHup);
      if (stopping) return;
      stopping = true;
      logger.info({ event: "signal", signal }, `${signal}: stopping`);
      let stopCode: number | null = null;
      const withinMs = Math.max(0, stopTimeoutMs - usedMs);
      // unref'd: a process whose stop finished ends by itself, and sooner; kept past the stop,
      // since anything that then holds the process open (a worker, a socket) must not for ever
      setTimeout(() => {
        const stopped = stopCode !== null;
        const message = stopped
          ? "stopped, but the process did not end within its bound"
          : "stop overran its bound";
        logger.fatal({ event: "stop_overrun", bound_ms: stopTimeoutMs, stopped }, message);
        logger.flush?.();
        exit(stopCode ?? 1);
      }, withinMs + EXIT_GRACE_MS).unref();
      const stopped = (code: number) => {
        stopCode = code;
        resolve(code);
      };
      daemon.stop(withinMs).then(
        () => stopped(0),
        (error: unknown) => {
          logger.error({ event: "stop_error", err: error }, "unclean stop");
          stopped(1);
        },
      );
    };
    signals.on("SIGHUP", onHup);
    for (const signal of STOP_SIGNALS) signals.on(signal, onStop);
    early.release();
    if (early.stop) onStop(early.stop, (bounds.now ?? monotonicNow)() - (early.stopAt ?? 0));
    else if (early.reload) onHup();
  });
}
