import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisBreaker } from '../../platform/redis/redis-breaker';
import { REDIS_BREAKER } from '../../platform/redis/redis.constants';

/**
 * The `redis` component of HEALTH_PATH: its state through the breaker (up,
 * down, probing), always reported as up. Every instance shares one Redis:
 * taking them all out of rotation for it would turn an outage of
 * idempotency into one of the whole API, so it never counts in a verdict
 * and readiness does not show it. Absent without Redis.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS_BREAKER) private readonly breaker: RedisBreaker | null,
  ) {}

  get configured(): boolean {
    return this.breaker !== null;
  }

  check(key = 'redis') {
    const breaker = this.breaker!;
    return this.indicators.check(key).up({
      state: breaker.state,
      breaker_opens: breaker.opens,
      ...(breaker.state !== 'up' && { error: breaker.error }),
      fails_health: false,
    });
  }
}
