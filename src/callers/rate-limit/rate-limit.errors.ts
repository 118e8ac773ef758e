import { ApiRefusal } from '../../common/api-refusal';
import { rateLimitHeaders } from './rate-limit-headers';
import { RateLimitDecision } from './token-bucket';

/** The bucket of `who` (a caller or a client address) is empty: 429 with Retry-After and the RateLimit fields. */
export class RateLimitedError extends ApiRefusal {
  readonly status = 429;
  readonly code = 'rate_limited';
  override readonly answerHeaders: Readonly<Record<string, string>>;

  constructor(
    readonly who: string,
    readonly decision: RateLimitDecision,
  ) {
    super(`Too many requests; retry in ${decision.retryAfter} s`);
    this.name = 'RateLimitedError';
    this.answerHeaders = { ...rateLimitHeaders(decision), 'Retry-After': String(decision.retryAfter) };
  }
}
