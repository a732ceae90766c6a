import type { ProbeResult } from "../probe/types.js";

/**
 * The monitor's own network (docs/states-and-outages.md, canaries). When every canary's latest probe failed, the
 * likelier cause is the monitor's uplink, not the estate: failures from then on decide
 * nothing, and the time is a `blind` gap.
 */
export class BlindDetector {
  /** Per canary: start of its current run of failures, null while its last probe did not fail. */
  private readonly failingSince = new Map<string, number | null>();
  private blindSince: number | null = null;

  constructor(canaries: readonly string[]) {
    this.setCanaries(canaries);
  }

  setCanaries(canaries: readonly string[]): void {
    const before = new Map(this.failingSince);
    this.failingSince.clear();
    for (const id of canaries) this.failingSince.set(id, before.get(id) ?? null);
  }

  get blind(): boolean {
    return this.blindSince !== null;
  }

  get since(): number | null {
    return this.blindSince;
  }

  get canaries(): string[] {
    return [...this.failingSince.keys()];
  }

  /**
   * Feeds a probe result; returns `entered`/`left` when blindness changed, with the time it
   * changed: the last canary's first failure, or the first good canary probe.
   */
  observe(
    targetId: string,
    result: ProbeResult,
  ): { change: "entered" | "left"; at: number } | null {
    if (!this.failingSince.has(targetId)) return null;
    const failed = result.result === "failed";
    const since = this.failingSince.get(targetId) ?? null;
    this.failingSince.set(targetId, failed ? (since ?? result.startedAt) : null);
    if (this.blindSince === null && failed) {
      const starts = [...this.failingSince.values()];
      if (starts.length > 0 && starts.every((s) => s !== null)) {
        this.blindSince = Math.max(...(starts as number[]));
        return { change: "entered", at: this.blindSince };
      }
    }
    if (this.blindSince !== null && !failed) {
      this.blindSince = null;
      return { change: "left", at: result.startedAt };
    }
    return null;
  }

  /** While blind, a failure that started after blindness began decides nothing. */
  ignores(result: ProbeResult): boolean {
    return (
      this.blindSince !== null && result.result === "failed" && result.startedAt >= this.blindSince
    );
  }
}
