// Per-key token buckets: `rate` tokens per second, bursts up to `rate`. Pure (time is passed in) so it is unit-tested.

export interface TakeResult {
  allowed: boolean;
  /** Seconds until a token is available (0 when allowed). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rate: number,
    private readonly capacity: number = rate,
    /** Keys idle this long are forgotten, so the map stays bounded by the active keys. */
    private readonly idleMs = 60_000,
  ) {
    if (!(rate > 0) || !(capacity >= 1)) throw new RangeError("rate must be > 0 and capacity >= 1");
  }

  take(key: string, nowMs: number): TakeResult {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.capacity, updatedMs: nowMs };
      this.buckets.set(key, b);
    } else {
      const elapsed = Math.max(0, nowMs - b.updatedMs) / 1000;
      b.tokens = Math.min(this.capacity, b.tokens + elapsed * this.rate);
      b.updatedMs = nowMs;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: (1 - b.tokens) / this.rate };
  }

  /** Drops buckets idle for longer than `idleMs` (they would be full anyway). */
  sweep(nowMs: number): void {
    for (const [key, b] of this.buckets) if (nowMs - b.updatedMs > this.idleMs) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}
