import { RateLimitedError } from '../rate-limit/rate-limit.errors';
import { RateLimitDecision } from '../rate-limit/token-bucket';

/**
 * The client address's or the user name's failed-authentication bucket is
 * empty: 429 with Retry-After (the rate limit's answer), decided before any
 * password was hashed.
 */
export class AuthThrottledError extends RateLimitedError {
  constructor(who: string, decision: RateLimitDecision) {
    super(who, decision);
    this.message = `Too many failed authentications; retry in ${decision.retryAfter} s`;
    this.name = 'AuthThrottledError';
  }
}

/**
 * AUTH_MAX_VERIFICATIONS password checks are already running: 429 with
 * Retry-After 1 at once, rather than a queue an attacker could fill.
 */
export class VerificationsBusyError extends RateLimitedError {
  constructor(readonly limit: number) {
    super('verifications', { allowed: false, policy: { rate: limit, burst: limit }, remaining: 0, retryAfter: 1, reset: 1 });
    this.message = 'Too many password checks in progress; retry in 1 s';
    this.name = 'VerificationsBusyError';
  }
}
