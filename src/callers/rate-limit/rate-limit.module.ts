// Owns: the token buckets per caller or address (memory, or Redis across instances) and their events.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/identity.
import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { REDIS_CLIENT } from '../../platform/redis/redis.constants';
import { RedisModule } from '../../platform/redis/redis.module';
import { ClientIdentityModule } from '../identity/client-identity.module';
import { MemoryRateLimiter } from './memory-rate-limiter';
import { RATE_LIMITER, RateLimiter } from './rate-limiter';
import { RateLimitEvents } from './rate-limit-events';
import { RedisRateLimiter } from './redis-rate-limiter';

/** Redis when REDIS_URL is set (one limit across instances), else this instance's memory. */
function createLimiter(config: TransportConfig, redis: Redis | null): RateLimiter {
  if (!redis) return new MemoryRateLimiter();
  return new RedisRateLimiter(redis, `${config.redisKeyPrefix}${config.transportName}:rl:`);
}

/** The token buckets and their events; RateLimitGuard (on the API controller) applies them. */
@Module({
  imports: [RedisModule, ClientIdentityModule],
  providers: [{ provide: RATE_LIMITER, inject: [TRANSPORT_CONFIG, REDIS_CLIENT], useFactory: createLimiter }, RateLimitEvents],
  exports: [RATE_LIMITER, RateLimitEvents, ClientIdentityModule],
})
export class RateLimitModule {}
