import type { AlertEnd, OutageAlert } from "./outage-alert.js";

/** What to tell a receiver about one alert (identified by its `alertKey`). */
export type AlertUpdate =
  | {
      kind: "fire" | "resend";
      outage: OutageAlert;
      /** How long the alert stays firing from the moment it goes out, unless sent again. */
      leaseMs: number;
    }
  | { kind: "resolve"; outage: OutageAlert; end: AlertEnd };

/**
 * Updates waiting to be delivered, oldest first: per alert key at most one fire or resend and
 * one resolve. A resolve supersedes a fire not yet sent; a fire after a resolve is a new outage
 * of the same alert, so both go out, the resolve first, or the receiver would merge the two.
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
  has(key: string): boolean {
    return this.updates.has(key);
  }

  put(key: string, update: AlertUpdate): void {
    const slot = update.kind === "resolve" ? `${key}\u0000resolve` : key;
    if (update.kind === "resolve") this.updates.delete(key);
    this.updates.delete(slot);
    this.updates.set(slot, update);
    this.trim();
  }

  take(count: number): [string, AlertUpdate][] {
    const batch: [string, AlertUpdate][] = [];
    for (const entry of this.updates) {
      if (batch.length === count) break;
      batch.push(entry);
    }
    for (const [slot] of batch) this.updates.delete(slot);
    return batch;
  }

  /** Puts a failed batch back in front, unless a newer update for the same alert came in. */
  restore(batch: [string, AlertUpdate][]): void {
    const older = batch.filter(([slot]) => !this.updates.has(slot));
    this.updates = new Map([...older, ...this.updates]);
    this.trim();
  }

  /** Drops the oldest resends first (the next resend repeats them), then the oldest of all. */
  private trim(): void {
    let excess = this.updates.size - this.max;
    if (excess <= 0) return;
    const dropped = excess;
    for (const [slot, update] of this.updates) {
      if (excess === 0) break;
      if (update.kind !== "resend") continue;
      this.updates.delete(slot);
      excess -= 1;
    }
    for (const [slot] of this.updates) {
      if (excess === 0) break;
      this.updates.delete(slot);
      excess -= 1;
    }
    this.overflowed(dropped);
  }
}
