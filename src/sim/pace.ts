/**
 * How fast each stretch of a scenario plays in the demo. Around a step something happens (the
 * switch, then the monitor seeing it); between steps nothing does. Eventful stretches play
 * slower and quiet ones `quietFactor` times faster, so that the whole run lasts what it would
 * at the average `speed`. Pure: step times in, rate changes out.
 */
export interface PaceOptions {
  /** Scenario time per real time on average: the run lasts `endMs / speed`. */
  speed: number;
  /** How many times faster a quiet stretch plays than an eventful one (1: one speed). */
  quietFactor: number;
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
}

/** The rate changes for steps at `stepTimes` in a scenario ending at `endMs`, the first at 0. */
export function pacePlan(
  stepTimes: readonly number[],
  endMs: number,
  options: PaceOptions,
): PaceChange[] {
  const { speed, quietFactor } = options;
  if (!(speed > 0 && quietFactor >= 1)) {
    throw new RangeError(`pace: speed must be > 0 and quietFactor ≥ 1 (${speed}, ${quietFactor})`);
  }
  if (endMs <= 0) return [{ atMs: 0, speed }];
  const eventful = eventfulStretches(stepTimes, endMs, options);
  const busyMs = eventful.reduce((sum, s) => sum + s.end - s.start, 0);
  const quietMs = endMs - busyMs;
  // busy / b + quiet / (quietFactor × b) = endMs / speed
  const busySpeed = (speed * (busyMs + quietMs / quietFactor)) / endMs;
  const quietSpeed = busySpeed * quietFactor;
  const changes: PaceChange[] = [];
  const change = (atMs: number, at: number) => {
    if (changes.at(-1)?.speed !== at) changes.push({ atMs, speed: at });
  };
  let cursor = 0;
  for (const stretch of eventful) {
    if (stretch.start > cursor) change(cursor, quietSpeed);
    change(stretch.start, busySpeed);
    cursor = stretch.end;
  }
  if (cursor < endMs) change(cursor, quietSpeed);
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

/** The union of [step − lead, step + follow) over the steps, clipped to [0, endMs), in order. */
function eventfulStretches(
  stepTimes: readonly number[],
  endMs: number,
  { leadMs, followMs }: PaceOptions,
): Stretch[] {
  const stretches: Stretch[] = [];
  const sorted = [...stepTimes].sort((a, b) => a - b);
  for (const at of sorted) {
    const start = Math.max(0, at - leadMs);
    const end = Math.min(endMs, at + followMs);
    if (end <= start) continue;
    const last = stretches.at(-1);
    if (last !== undefined && start <= last.end) last.end = Math.max(last.end, end);
    else stretches.push({ start, end });
  }
  return stretches;
}
