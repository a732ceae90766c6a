/** The one timeout that bounds a whole probe, and the sockets it frees when it fires. */
import { systemTimers, type TimerHandle, type Timers } from "../time/clock.js";
import { formatDuration } from "./detail-text.js";
import { ProbeFailure } from "./failure.js";

/** Where a probe is, named as the timeout detail says it: `timeout after 1s (waiting for headers)`. */
export type ProbePhase =
  | "resolving"
  | "connecting"
  | "TLS handshake"
  | "waiting for headers"
  | "reading body"
  | "waiting for the answer over UDP"
  | "waiting for the answer over TCP"
  | "waiting for the health check";

/** A socket or a TLS socket: anything freed by destroying it. */
export interface Destroyable {
  destroy(): unknown;
}

/**
 * Created at the start of a probe; every wait goes through `race`, every socket through `adopt`.
 * When the timeout (or the caller's signal) fires, adopted resources are destroyed at once and
 * the pending race rejects with a `timeout` ProbeFailure. `dispose` frees everything at the end.
 */
export class ProbeDeadline {
  phase: ProbePhase = "resolving";
  /** Redirects followed so far: a timeout on a later hop says so. */
  hop = 0;
  readonly #resources: Destroyable[] = [];
  /** Rejections of the pending races. A plain set: an AbortSignal's EventTarget listeners cost
   * a measurable share of a probe's CPU at a thousand probes a second. */
  readonly #waiters = new Set<() => void>();
  readonly #timer: TimerHandle;
  readonly #timers: Timers;
  readonly #parent: AbortSignal | undefined;
  #expiry: ProbeFailure | null = null;

  constructor(
    private readonly timeoutMs: number,
    parent?: AbortSignal,
    timers: Timers = systemTimers,
  ) {
    this.#timers = timers;
    this.#timer = timers.setTimeout(() => this.#expire(this.#timeoutFailure()), timeoutMs);
    this.#parent = parent;
    if (parent?.aborted) this.abort();
    else if (parent) deadlinesOf(parent).add(this);
  }

  /** Ends the probe at once with reason `timeout`, detail `aborted` (the caller's signal). */
  abort(): void {
    this.#expire(new ProbeFailure("timeout", "aborted"));
  }

  /** The timeout failure once the deadline has passed (or the probe was aborted), else null. */
  get expiry(): ProbeFailure | null {
    return this.#expiry;
  }

  /**
   * Destroy `resource` when the deadline fires or the probe ends, whichever comes first;
   * resources are destroyed in the reverse order of their adoption.
   */
  adopt<T extends Destroyable>(resource: T): T {
    if (this.#expiry !== null) destroyQuietly(resource);
    else this.#resources.push(resource);
    return resource;
  }

  /** `work`, unless the deadline fires first: then a rejection with the timeout failure. */
  race<T>(work: Promise<T>): Promise<T> {
    const expiry = this.#expiry;
    if (expiry !== null) {
      work.catch(ignore);
      return Promise.reject(expiry);
    }
    return new Promise<T>((resolve, reject) => {
      const onExpire = (): void => reject(this.#expiry);
      this.#waiters.add(onExpire);
      work.then(
        (value) => {
          this.#waiters.delete(onExpire);
          resolve(value);
        },
        (error: unknown) => {
          this.#waiters.delete(onExpire);
          reject(error);
        },
      );
    });
  }

  /** Stop the timer and free every adopted resource. Safe to call more than once. */
  dispose(): void {
    this.#timers.clearTimeout(this.#timer);
    if (this.#parent) deadlinesOf(this.#parent).delete(this);
    this.#destroyAll();
  }

  #timeoutFailure(): ProbeFailure {
    const where = this.hop > 0 ? `${this.phase}, redirect ${this.hop}` : this.phase;
    return new ProbeFailure(
      "timeout",
      `timeout after ${formatDuration(this.timeoutMs)} (${where})`,
    );
  }

  #expire(failure: ProbeFailure): void {
    if (this.#expiry !== null) return;
    this.#expiry = failure;
    this.#timers.clearTimeout(this.#timer);
    // free the sockets first, so the server sees the close before anyone reads the result
    if (this.#parent) deadlinesOf(this.#parent).delete(this);
    this.#destroyAll();
    for (const reject of this.#waiters) reject();
    this.#waiters.clear();
  }

  // last adopted, first destroyed
  #destroyAll(): void {
    for (let resource = this.#resources.pop(); resource; resource = this.#resources.pop()) {
      destroyQuietly(resource);
    }
  }
}

/**
 * The deadlines running under each caller's signal, aborted together by one listener: a
 * listener per probe on the daemon's one shutdown signal made every probe's removal scan
 * the listeners of all probes in flight.
 */
const deadlinesBySignal = new WeakMap<AbortSignal, Set<ProbeDeadline>>();

function deadlinesOf(signal: AbortSignal): Set<ProbeDeadline> {
  let deadlines = deadlinesBySignal.get(signal);
  if (!deadlines) {
    const running = new Set<ProbeDeadline>();
    signal.addEventListener(
      "abort",
      () => {
        for (const deadline of Array.from(running)) deadline.abort();
      },
      { once: true },
    );
    deadlinesBySignal.set(signal, running);
    deadlines = running;
  }
  return deadlines;
}

function destroyQuietly(resource: Destroyable): void {
  const outcome = resource.destroy();
  if (outcome instanceof Promise) outcome.catch(ignore);
}

function ignore(): void {}
