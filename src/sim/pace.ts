/**
 * How fast each stretch of a scenario plays in the demo. Around a step something happens (the
 * switch, then the monitor seeing it); between steps nothing does. Eventful stretches play at
 * one speed; a quiet stretch plays at least `quietFactor` times faster, and a long one in at most
 * `maxQuietMs` of real time; the eventful speed is what makes the whole run last what it would
 * at the average `speed`. Pure: step times in, rate changes out.
 */
export interface PaceOptions {
  /** Scenario time per real time on average: the run lasts `endMs / speed`. */
  speed: number;
  /** A quiet stretch plays at least this many times faster than an eventful one (1: as fast). */
  quietFactor: number;
  /** A quiet stretch lasts at most this long in real time (ms). */
  maxQuietMs: number;
  /** An eventful stretch starts this long before a step… */
  leadMs: number;
  /** …and ends this long after it: time for the monitor to see what the step did. */
  followMs: number;
}

/** From `atMs` (scenario time) on, play at `speed` (scenario time per real time). */
export interface PaceChange {
  atMs: number;
  speed: number;
}

interface Stretch {
  start: number;
  end: number;
  eventful: boolean;
}

/** The rate changes for steps at `stepTimes` in a scenario ending at `endMs`, the first at 0. */
export function pacePlan(
  stepTimes: readonly number[],
  endMs: number,
  options: PaceOptions,
): PaceChange[] {
  const { speed, quietFactor, maxQuietMs } = options;
  if (!(speed > 0 && quietFactor >= 1 && maxQuietMs > 0)) {
    throw new RangeError(
      `pace: speed and maxQuietMs must be > 0 and quietFactor ≥ 1 (${speed}, ${maxQuietMs}, ${quietFactor})`,
    );
  }
  if (endMs <= 0) return [{ atMs: 0, speed }];
  const stretches = splitStretches(stepTimes, endMs, options);
  // Nothing eventful (no lead or follow around any step): no stretch to play slower, and capped
  // quiet stretches alone could not fill the run's time, so it all plays at the average speed.
  if (!stretches.some((s) => s.eventful)) return [{ atMs: 0, speed }];
  const eventful = eventfulSpeed(stretches, endMs / speed, options);
  const changes: PaceChange[] = [];
  for (const stretch of stretches) {
    const at = stretch.eventful ? eventful : quietSpeed(stretch, eventful, options);
    if (changes.at(-1)?.speed !== at) changes.push({ atMs: stretch.start, speed: at });
  }
  return changes;
}

/** Real milliseconds a plan takes to play up to `endMs`. */
export function playTimeMs(plan: readonly PaceChange[], endMs: number): number {
  let total = 0;
  plan.forEach((change, index) => {
    const until = Math.min(plan[index + 1]?.atMs ?? endMs, endMs);
    if (until > change.atMs) total += (until - change.atMs) / change.speed;
  });
  return total;
}

function quietSpeed(stretch: Stretch, eventful: number, options: PaceOptions): number {
  return Math.max(
    eventful * options.quietFactor,
    (stretch.end - stretch.start) / options.maxQuietMs,
  );
}

/** The eventful speed at which the stretches play in `realMs`: found by bisection (monotone). */
function eventfulSpeed(
  stretches: readonly Stretch[],
  realMs: number,
  options: PaceOptions,
): number {
  const realAt = (speed: number) =>
    stretches.reduce((sum, s) => {
      const at = s.eventful ? speed : quietSpeed(s, speed, options);
      return sum + (s.end - s.start) / at;
    }, 0);
  // realAt falls as the speed rises; bracket the answer in log space, then halve
  let low = 1e-9;
  let high = 1e12;
  for (let i = 0; i < 200; i++) {
    const mid = Math.sqrt(low * high);
    if (realAt(mid) > realMs) low = mid;
    else high = mid;
  }
  return Math.sqrt(low * high);
}

/** [0, endMs) cut into eventful stretches ([step − lead, step + follow), merged) and quiet ones. */
function splitStretches(
  stepTimes: readonly number[],
  endMs: number,
  { leadMs, followMs }: PaceOptions,
): Stretch[] {
  const eventful: Stretch[] = [];
  for (const at of [...stepTimes].sort((a, b) => a - b)) {
    const start = Math.max(0, at - leadMs);
    const end = Math.min(endMs, at + followMs);
    if (end <= start) continue;
    const last = eventful.at(-1);
    if (last !== undefined && start <= last.end) last.end = Math.max(last.end, end);
    else eventful.push({ start, end, eventful: true });
  }
  const stretches: Stretch[] = [];
  let cursor = 0;
  for (const stretch of eventful) {
    if (stretch.start > cursor)
      stretches.push({ start: cursor, end: stretch.start, eventful: false });
    stretches.push(stretch);
    cursor = stretch.end;
  }
  if (cursor < endMs) stretches.push({ start: cursor, end: endMs, eventful: false });
  return stretches;
}
