// Owns: failed-login throttles (per address, per user name), the failure log, the known addresses, auth events.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/identity, callers/rate-limit.
import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { RedisBreaker } from '../../platform/redis/redis-breaker';
import { REDIS_BREAKER, REDIS_CLIENT } from '../../platform/redis/redis.constants';
import { RedisModule } from '../../platform/redis/redis.module';
import { BreakerRateLimiter } from '../rate-limit/breaker-rate-limiter';
import { FallbackRateLimiter } from '../rate-limit/fallback-rate-limiter';
import { MemoryRateLimiter } from '../rate-limit/memory-rate-limiter';
import { RateLimiter } from '../rate-limit/rate-limiter';
import { RedisRateLimiter } from '../rate-limit/redis-rate-limiter';
import { ClientIdentityModule } from '../identity/client-identity.module';
import { AuthEvents } from './auth-events';
import { AuthFailureLog } from './auth-failure-log';
import { AuthFailureThrottle } from './auth-failure-throttle';
import { AUTH_FAILURE_LIMITER, KNOWN_ADDRESSES } from './auth.constants';
import { KnownAddresses, MemoryKnownAddresses, RedisKnownAddresses } from './known-addresses';

/**
 * Failed-authentication buckets: shared through Redis when REDIS_URL is set
 * (a flood spread over instances is limited once), in this instance's
 * memory otherwise or while Redis is away. Their own limiter, so a flood of
 * made-up names cannot push the rate limit's buckets out of memory.
 */
function createLimiter(config: TransportConfig, redis: Redis | null, breaker: RedisBreaker | null): RateLimiter {
  if (!redis || !breaker) return new MemoryRateLimiter();
  const shared = new RedisRateLimiter(redis, `${config.redisKeyPrefix}${config.transportName}:authfail:`);
  return new FallbackRateLimiter(new BreakerRateLimiter(shared, breaker));
}

/** Known addresses in Redis too when REDIS_URL is set: a new or restarted pod knows them. */
function createKnownAddresses(config: TransportConfig, redis: Redis | null, breaker: RedisBreaker | null): KnownAddresses {
  if (!redis || !breaker) return new MemoryKnownAddresses();
  return new RedisKnownAddresses(redis, `${config.redisKeyPrefix}${config.transportName}:authfail:`, breaker);
}

/** What happens before a password is checked: failure throttles, failure events and their log. */
@Module({
  imports: [RedisModule, ClientIdentityModule],
  providers: [
    { provide: AUTH_FAILURE_LIMITER, inject: [TRANSPORT_CONFIG, REDIS_CLIENT, REDIS_BREAKER], useFactory: createLimiter },
    { provide: KNOWN_ADDRESSES, inject: [TRANSPORT_CONFIG, REDIS_CLIENT, REDIS_BREAKER], useFactory: createKnownAddresses },
    AuthFailureThrottle,
    AuthEvents,
    AuthFailureLog,
  ],
  exports: [AuthFailureThrottle, AuthEvents, ClientIdentityModule],
})
export class AuthModule {}
