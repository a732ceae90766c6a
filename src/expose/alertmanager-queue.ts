import type { AlertEnd, OutageAlert } from "./alertmanager-payload.js";

/** What to tell Alertmanager about one alert (identified by its labels). */
export type AlertUpdate =
  | { kind: "fire" | "resend"; outage: OutageAlert }
  | { kind: "resolve"; outage: OutageAlert; end: AlertEnd };

/**
 * Updates waiting to be posted, oldest first: per alert identity at most one fire or resend and
 * one resolve. A resolve supersedes a fire not yet sent; a fire after a resolve is a new outage
 * with the same labels, so both go out, the resolve first, or Alertmanager would merge the two.
 */
export class UpdateQueue {
  private updates = new Map<string, AlertUpdate>();

  constructor(
    private readonly max: number,
    private readonly overflowed: (dropped: number) => void,
  ) {}

  get size(): number {
    return this.updates.size;
  }

  /** Whether a fire or resend of this alert is waiting. */
  has(identity: string): boolean {
    return this.updates.has(identity);
  }

  put(identity: string, update: AlertUpdate): void {
    const key = update.kind === "resolve" ? `${identity}\u0000resolve` : identity;
    if (update.kind === "resolve") this.updates.delete(identity);
    this.updates.delete(key);
    this.updates.set(key, update);
    this.trim();
  }

  take(count: number): [string, AlertUpdate][] {
    const batch: [string, AlertUpdate][] = [];
    for (const entry of this.updates) {
      if (batch.length === count) break;
      batch.push(entry);
    }
    for (const [key] of batch) this.updates.delete(key);
    return batch;
  }

  /** Puts a failed batch back in front, unless a newer update for the same alert came in. */
  restore(batch: [string, AlertUpdate][]): void {
    const older = batch.filter(([key]) => !this.updates.has(key));
    this.updates = new Map([...older, ...this.updates]);
    this.trim();
  }

  /** Drops the oldest resends first (the next resend repeats them), then the oldest of all. */
  private trim(): void {
    let excess = this.updates.size - this.max;
    if (excess <= 0) return;
    const dropped = excess;
    for (const [key, update] of this.updates) {
      if (excess === 0) break;
      if (update.kind !== "resend") continue;
      this.updates.delete(key);
      excess -= 1;
    }
    for (const [key] of this.updates) {
      if (excess === 0) break;
      this.updates.delete(key);
      excess -= 1;
    }
    this.overflowed(dropped);
  }
}
