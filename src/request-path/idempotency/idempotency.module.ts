// Owns: Idempotency-Key: leases and stored answers (memory, or Redis across instances).
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/*, request-path/http-server, request-path/inbound.
import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { RedisBreaker } from '../../platform/redis/redis-breaker';
import { REDIS_BREAKER, REDIS_CLIENT } from '../../platform/redis/redis.constants';
import { RedisModule } from '../../platform/redis/redis.module';
import { InboundModule } from '../inbound/inbound.module';
import { IdempotencyService } from './idempotency.service';
import { IDEMPOTENCY_STORE } from './idempotency.constants';
import { IdempotencyEvents } from './idempotency-events';
import { IdempotencyStore } from './idempotency-store';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { RedisIdempotencyStore } from './redis-idempotency-store';
import { BreakerIdempotencyStore } from './breaker-idempotency-store';
import { ReplicaWaitingIdempotencyStore } from './replica-waiting-idempotency-store';
import { idempotencyLimitsOf } from './idempotency-limits';
import { claimLeaseMs } from './idempotency-lease';

/**
 * Redis when configured (shared by instances), else this instance's memory. Redis behind its
 * breaker (down or frozen: 503 at once) and, with REDIS_WAIT_REPLICAS, waiting for replicas.
 */
function createStore(
  config: TransportConfig,
  redis: Redis | null,
  breaker: RedisBreaker | null,
  events: IdempotencyEvents,
): IdempotencyStore {
  const limits = idempotencyLimitsOf(config);
  if (!redis || !breaker) return new MemoryIdempotencyStore(config.idempotencyMaxKeys, limits);
  const longest = Math.max(config.idempotencyWindowMs, claimLeaseMs(config));
  let store: IdempotencyStore = new RedisIdempotencyStore(redis, `${config.redisKeyPrefix}${config.transportName}:idem:`, limits, longest);
  if (config.redisWaitReplicas > 0) {
    // Half the command time-out: a missing replica costs a request that, never a breaker opening.
    const waitMs = Math.ceil(config.redisCommandTimeoutMs / 2);
    store = new ReplicaWaitingIdempotencyStore(store, redis, config.redisWaitReplicas, waitMs, () => events.writeAtRisk('unreplicated'));
  }
  return new BreakerIdempotencyStore(store, breaker);
}

/** The Idempotency-Key rules (IdempotencyService, over InboundMessageService), their store and events. */
@Module({
  imports: [RedisModule, InboundModule],
  providers: [
    { provide: IDEMPOTENCY_STORE, inject: [TRANSPORT_CONFIG, REDIS_CLIENT, REDIS_BREAKER, IdempotencyEvents], useFactory: createStore },
    IdempotencyEvents,
    IdempotencyService,
  ],
  exports: [IDEMPOTENCY_STORE, IdempotencyEvents, IdempotencyService],
})
export class IdempotencyModule {}
