import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { ThrottledWarning } from '../../common/throttled-warning';
import { IdempotencyRecord, IdempotencyStore } from './idempotency-store';

/**
 * REDIS_WAIT_REPLICAS > 0: each claim and each stored outcome waits (WAIT,
 * on the same connection, so it covers that write) until `replicas`
 * replicas have it, for at most `timeoutMs`. Redis replicates
 * asynchronously: without the wait, a master lost just after a claim can
 * take the claim with it, and a retry on the new master publishes again.
 * Fewer replicas in time (one is down or lagging): the request goes on,
 * with a warning, since refusing would turn a replica's outage into one of
 * idempotency.
 */
export class ReplicaWaitingIdempotencyStore implements IdempotencyStore {
  private readonly logger = new Logger('Idempotency');
  private readonly shortWarning = new ThrottledWarning();

  constructor(
    private readonly redis: IdempotencyStore,
    private readonly client: Redis,
    private readonly replicas: number,
    private readonly timeoutMs: number,
    /** Each write that went on with fewer replicas than asked for (counted as a write at risk). */
    private readonly onUnreplicated: () => void = () => undefined,
  ) {}

  async claim(scope: string, key: string, fingerprint: string, token: string, leaseMs: number): Promise<IdempotencyRecord | null> {
    const existing = await this.redis.claim(scope, key, fingerprint, token, leaseMs);
    if (existing === null) await this.replicated();
    return existing;
  }

  async complete(scope: string, key: string, record: Required<IdempotencyRecord>, windowMs: number): Promise<void> {
    await this.redis.complete(scope, key, record, windowMs);
    await this.replicated();
  }

  /** A release needs no wait: losing it costs a retry a 409 until the lease ends, never a duplicate. */
  release(scope: string, key: string, token: string): Promise<void> {
    return this.redis.release(scope, key, token);
  }

  private async replicated(): Promise<void> {
    const acknowledged = await this.client.wait(this.replicas, this.timeoutMs);
    if (acknowledged >= this.replicas) return;
    this.onUnreplicated();
    if (this.shortWarning.due()) {
      this.logger.warn(
        `Idempotency write on ${acknowledged} of ${this.replicas} replicas after ${this.timeoutMs} ms: a failover now could lose it`,
      );
    }
  }
}
