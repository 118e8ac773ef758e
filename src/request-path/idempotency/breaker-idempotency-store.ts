import { RedisBreaker } from '../../platform/redis/redis-breaker';
import { IdempotencyRecord, IdempotencyStore } from './idempotency-store';

/**
 * The Redis store behind the instance's RedisBreaker: while Redis is down or
 * frozen every operation fails at once, so a request with an Idempotency-Key
 * gets its 503 (Retry-After) at once instead of after the command time-out.
 */
export class BreakerIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: IdempotencyStore,
    private readonly breaker: RedisBreaker,
  ) {}

  claim(scope: string, key: string, fingerprint: string, token: string, leaseMs: number): Promise<IdempotencyRecord | null> {
    return this.breaker.run(() => this.redis.claim(scope, key, fingerprint, token, leaseMs));
  }

  complete(scope: string, key: string, record: Required<IdempotencyRecord>, windowMs: number): Promise<void> {
    return this.breaker.run(() => this.redis.complete(scope, key, record, windowMs));
  }

  release(scope: string, key: string, token: string): Promise<void> {
    return this.breaker.run(() => this.redis.release(scope, key, token));
  }
}
