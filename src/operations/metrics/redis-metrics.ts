import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { REDIS_STATES, RedisBreaker } from '../../platform/redis/redis-breaker';
import { REDIS_BREAKER } from '../../platform/redis/redis.constants';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';

/**
 * Redis as this instance sees it, through its breaker. Declared without
 * Redis too (no series then), so that the alert rules always read an
 * exported metric.
 */
@Injectable()
export class RedisMetrics {
  constructor(@Inject(REDIS_BREAKER) breaker: RedisBreaker | null, metrics: MetricsService) {
    const registers = metrics.registers;
    new Gauge({
      name: `${METRICS_PREFIX}redis_state`,
      help:
        'Redis (idempotency keys, rate limits) as this instance sees it: 1 for the current state (up; down: timed out or ' +
        'unreachable, not asked, rate limits in memory and Idempotency-Key answered 503; probing), 0 for the others. No series without Redis.',
      labelNames: ['state'],
      registers,
      collect() {
        if (!breaker) return;
        for (const state of REDIS_STATES) this.labels(state).set(state === breaker.state ? 1 : 0);
      },
    });
    new Counter({
      name: `${METRICS_PREFIX}redis_breaker_opens_total`,
      help: 'Times Redis stopped answering (a command timed out or failed for want of a connection) and was left alone until a probe answered.',
      registers,
      collect() {
        this.reset();
        if (breaker) this.inc(breaker.opens);
      },
    });
  }
}
