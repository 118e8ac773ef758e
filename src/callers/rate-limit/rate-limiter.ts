import { RateLimitDecision, RateLimitPolicy } from './token-bucket';

/** Injection token of the RateLimiter chosen by REDIS_URL. */
export const RATE_LIMITER = Symbol('RATE_LIMITER');

/** Token buckets by key (a caller, or a client address): MemoryRateLimiter or RedisRateLimiter. */
export interface RateLimiter {
  take(key: string, policy: RateLimitPolicy): Promise<RateLimitDecision>;
  /**
   * Gives back the token a take() took (capped at the burst): for limits that
   * count only failures, which know the outcome only after the take.
   */
  refund(key: string, policy: RateLimitPolicy): Promise<void>;
}
