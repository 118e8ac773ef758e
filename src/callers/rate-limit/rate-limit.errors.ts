import { RateLimitDecision } from './token-bucket';

/** The bucket of `who` (a caller or a client address) is empty: 429 with Retry-After and the RateLimit fields. */
export class RateLimitedError extends Error {
  readonly code = 'rate_limited';

  constructor(
    readonly who: string,
    readonly decision: RateLimitDecision,
  ) {
    super(`Too many requests; retry in ${decision.retryAfter} s`);
    this.name = 'RateLimitedError';
  }
}
