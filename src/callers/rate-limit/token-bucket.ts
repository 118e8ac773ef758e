/** A bucket of `burst` tokens refilled at `rate` tokens per second; a request takes one. */
export interface RateLimitPolicy {
  readonly rate: number;
  readonly burst: number;
}

/** One request's verdict, with what the RateLimit headers report. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly policy: RateLimitPolicy;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Seconds until the next token (0 while one is left): the 429's Retry-After. */
  readonly retryAfter: number;
  /** Seconds until the bucket is full again. */
  readonly reset: number;
}

/** The verdict for a bucket holding `tokens` after its refill and this request's take. */
export function decide(policy: RateLimitPolicy, tokens: number, allowed: boolean): RateLimitDecision {
  // A hair of float error (0.9999999 after a refill) must not cost a whole second.
  const settled = Math.round(tokens * 1e9) / 1e9;
  return {
    allowed,
    policy,
    remaining: Math.floor(settled),
    retryAfter: settled >= 1 ? 0 : Math.max(1, Math.ceil((1 - settled) / policy.rate)),
    reset: Math.ceil((policy.burst - settled) / policy.rate),
  };
}

/**
 * The token bucket, pure arithmetic: the clock is injected (milliseconds), so
 * unit tests drive it with fake time. A new bucket starts full. The Redis
 * limiter runs the same arithmetic in Lua.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly policy: RateLimitPolicy,
    private readonly clock: () => number = Date.now,
  ) {
    this.tokens = policy.burst;
    this.updatedAt = clock();
  }

  /** Takes one token if there is one; a refused request takes nothing. */
  take(): RateLimitDecision {
    this.refill();
    const allowed = this.tokens >= 1;
    if (allowed) this.tokens -= 1;
    return decide(this.policy, this.tokens, allowed);
  }

  /** Puts one token back (never above the burst). */
  give(): void {
    this.refill();
    this.tokens = Math.min(this.policy.burst, this.tokens + 1);
  }

  /** True once the bucket is full again: forgetting it then changes nothing. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.policy.burst;
  }

  private refill(): void {
    const now = this.clock();
    const elapsed = Math.max(0, now - this.updatedAt) / 1000; // a clock stepping back refills nothing
    this.tokens = Math.min(this.policy.burst, this.tokens + elapsed * this.policy.rate);
    this.updatedAt = now;
  }
}
