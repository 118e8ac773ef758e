import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { CallerCredentials } from '../../callers/credentials/caller-credentials';
import { IdempotencyEvents, WRITES_AT_RISK } from '../../request-path/idempotency/idempotency-events';
import { IDEMPOTENCY_STORE } from '../../request-path/idempotency/idempotency.constants';
import { IdempotencyStore } from '../../request-path/idempotency/idempotency-store';
import { MemoryIdempotencyStore } from '../../request-path/idempotency/memory-idempotency-store';
import { RateLimitEvents } from '../../callers/rate-limit/rate-limit-events';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';

/** The label of requests without an authenticated caller; user names cannot hold ":", so it is no one's. */
export const NO_CALLER = ':none';

/**
 * Idempotent repeats and rate-limit refusals, by caller. The caller label
 * takes only configured user names (and NO_CALLER): client addresses, which
 * key the limit without auth, would be an unbounded label.
 */
@Injectable()
export class RetriesAndLimitsMetrics implements OnModuleInit {
  private readonly replays: Counter<'caller'>;
  private readonly limited: Counter<'caller'>;
  private readonly atRisk: Counter<'reason'>;

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    metrics: MetricsService,
    callers: CallerCredentials,
    private readonly idempotency: IdempotencyEvents,
    private readonly rateLimit: RateLimitEvents,
    @Inject(IDEMPOTENCY_STORE) store: IdempotencyStore,
  ) {
    if (store instanceof MemoryIdempotencyStore) {
      // Only the memory store counts in this process; Redis's books are per client, in Redis.
      new Gauge({
        name: `${METRICS_PREFIX}idempotency_store_bytes`,
        help: 'Bytes the in-memory idempotency store counts now (keys, answers, overhead estimate); at most IDEMPOTENCY_MAX_BYTES.',
        registers: metrics.registers,
        collect() {
          this.set(store.bytes);
        },
      });
      new Gauge({
        name: `${METRICS_PREFIX}idempotency_store_keys`,
        help: 'Keys the in-memory idempotency store holds now (claims and answers).',
        registers: metrics.registers,
        collect() {
          this.set(store.size);
        },
      });
    }
    this.replays = new Counter({
      name: `${METRICS_PREFIX}idempotent_replays_total`,
      help: 'Requests whose Idempotency-Key already had an answer: answered again, nothing published.',
      labelNames: ['caller'],
      registers: metrics.registers,
    });
    this.limited = new Counter({
      name: `${METRICS_PREFIX}rate_limited_total`,
      help: `Requests refused with 429 by the rate limit (caller "${NO_CALLER}": limited by client address).`,
      labelNames: ['caller'],
      registers: metrics.registers,
    });
    this.atRisk = new Counter({
      name: `${METRICS_PREFIX}idempotency_writes_at_risk_total`,
      help:
        'Idempotency store writes a retry may not find, by reason: unreplicated (fewer replicas than REDIS_WAIT_REPLICAS ' +
        'in time: a Redis failover could lose it), failed (an outcome not stored; its request was answered).',
      labelNames: ['reason'],
      registers: metrics.registers,
    });
    for (const reason of WRITES_AT_RISK) this.atRisk.labels(reason).inc(0);
    const names = [NO_CALLER, ...(config.webUsername ? [config.webUsername] : []), ...callers.names];
    for (const caller of names) {
      this.replays.labels(caller).inc(0);
      this.limited.labels(caller).inc(0);
    }
  }

  onModuleInit(): void {
    this.idempotency.onDeduplicated((caller) => this.replays.labels(caller ?? NO_CALLER).inc());
    this.rateLimit.onRateLimited((caller) => this.limited.labels(caller ?? NO_CALLER).inc());
    this.idempotency.onWriteAtRisk((reason) => this.atRisk.labels(reason).inc());
  }
}
