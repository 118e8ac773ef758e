// Owns: the token buckets per caller or address (memory, or Redis across instances) and their events.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/identity.
import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { RedisBreaker } from '../../platform/redis/redis-breaker';
import { REDIS_BREAKER, REDIS_CLIENT } from '../../platform/redis/redis.constants';
import { RedisModule } from '../../platform/redis/redis.module';
import { ClientIdentityModule } from '../identity/client-identity.module';
import { BreakerRateLimiter } from './breaker-rate-limiter';
import { FallbackRateLimiter } from './fallback-rate-limiter';
import { MemoryRateLimiter } from './memory-rate-limiter';
import { RATE_LIMITER, RateLimiter } from './rate-limiter';
import { RateLimitEvents } from './rate-limit-events';
import { RedisRateLimiter } from './redis-rate-limiter';

/**
 * Redis when configured (one limit across instances), else this instance's memory; while Redis is
 * down or frozen (its breaker open), this instance's memory too.
 */
function createLimiter(config: TransportConfig, redis: Redis | null, breaker: RedisBreaker | null): RateLimiter {
  if (!redis || !breaker) return new MemoryRateLimiter();
  return new FallbackRateLimiter(
    new BreakerRateLimiter(new RedisRateLimiter(redis, `${config.redisKeyPrefix}${config.transportName}:rl:`), breaker),
  );
}

/** The token buckets and their events; RateLimitGuard (on the API controller) applies them. */
@Module({
  imports: [RedisModule, ClientIdentityModule],
  providers: [
    { provide: RATE_LIMITER, inject: [TRANSPORT_CONFIG, REDIS_CLIENT, REDIS_BREAKER], useFactory: createLimiter },
    RateLimitEvents,
  ],
  exports: [RATE_LIMITER, RateLimitEvents, ClientIdentityModule],
})
export class RateLimitModule {}
