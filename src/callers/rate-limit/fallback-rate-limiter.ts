import { Logger } from '@nestjs/common';
import { MemoryRateLimiter } from './memory-rate-limiter';
import { RateLimiter } from './rate-limiter';
import { RateLimitDecision, RateLimitPolicy } from './token-bucket';
import { ThrottledWarning } from '../../common/throttled-warning';

/**
 * A shared limiter (Redis) that falls back to this instance's memory when it
 * fails. For limits that protect the service itself (failed
 * authentications): with Redis away they still hold, per instance, instead
 * of opening. Never throws.
 */
export class FallbackRateLimiter implements RateLimiter {
  private readonly logger = new Logger('RateLimit');
  /** At most one "falling back" line per 10 s. */
  private readonly fallbackWarning = new ThrottledWarning();

  constructor(
    private readonly primary: RateLimiter,
    private readonly fallback: RateLimiter = new MemoryRateLimiter(),
  ) {}

  async take(key: string, policy: RateLimitPolicy): Promise<RateLimitDecision> {
    try {
      return await this.primary.take(key, policy);
    } catch (error) {
      this.warn(error);
      return this.fallback.take(key, policy);
    }
  }

  async refund(key: string, policy: RateLimitPolicy): Promise<void> {
    try {
      await this.primary.refund(key, policy);
    } catch (error) {
      this.warn(error);
      await this.fallback.refund(key, policy);
    }
  }

  private warn(error: unknown): void {
    if (!this.fallbackWarning.due()) return;
    this.logger.warn(`Shared limiter unavailable, limiting in this instance's memory: ${(error as Error).message}`);
  }
}
