import { RateLimiter } from './rate-limiter';
import { RateLimitDecision, RateLimitPolicy, TokenBucket } from './token-bucket';

/** Buckets kept at most; client addresses are unbounded in number, memory must not be. */
export const MAX_BUCKETS = 100_000;

/**
 * Buckets in this instance's memory (each instance limits on its own). The
 * Map is kept in last-use order; past `maxBuckets` the least recently used
 * bucket is forgotten, which gives its key a full bucket: no harm once it
 * was idle long enough to refill anyway (burst / rate seconds).
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly maxBuckets = MAX_BUCKETS,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  take(key: string, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    let bucket = this.buckets.get(key);
    if (bucket && bucket.policy !== policy) bucket = undefined; // its policy changed: start afresh
    this.buckets.delete(key);
    bucket ??= new TokenBucket(policy, this.clock);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value as string);
    return Promise.resolve(bucket.take());
  }

  refund(key: string, policy: RateLimitPolicy): Promise<void> {
    const bucket = this.buckets.get(key);
    // A forgotten bucket is a full one: nothing to give back.
    if (bucket && bucket.policy === policy) bucket.give();
    return Promise.resolve();
  }
}
