import { RedisBreaker } from '../../platform/redis/redis-breaker';
import { RateLimiter } from './rate-limiter';
import { RateLimitDecision, RateLimitPolicy } from './token-bucket';

/**
 * A Redis limiter behind the instance's RedisBreaker: while Redis is down or
 * frozen, take() and refund() fail at once instead of after the command
 * time-out, and FallbackRateLimiter limits in memory meanwhile.
 */
export class BreakerRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: RateLimiter,
    private readonly breaker: RedisBreaker,
  ) {}

  take(key: string, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    return this.breaker.run(() => this.redis.take(key, policy));
  }

  refund(key: string, policy: RateLimitPolicy): Promise<void> {
    return this.breaker.run(() => this.redis.refund(key, policy));
  }
}
