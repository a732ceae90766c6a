/**
 * One token bucket per key (a push target): `burst` tokens at most, refilled at `perSecond`.
 * Time is passed in (monotonic ms), so it is tested on fake time.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly burst: number,
    readonly perSecond: number,
  ) {}

  /** Takes a token of `key`'s bucket at `now`: 0 when taken, else the ms until one is there. */
  take(key: string, now: number): number {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    const refilled = Math.min(
      this.burst,
      bucket.tokens + (Math.max(0, now - bucket.at) * this.perSecond) / 1000,
    );
    if (refilled >= 1) {
      this.buckets.set(key, { tokens: refilled - 1, at: now });
      return 0;
    }
    this.buckets.set(key, { tokens: refilled, at: now });
    return Math.ceil(((1 - refilled) * 1000) / this.perSecond);
  }

  /** Forgets keys no longer in use (targets a reload removed). */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.buckets.keys()) if (!keep(key)) this.buckets.delete(key);
  }
}
