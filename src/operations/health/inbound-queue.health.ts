import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { InboundQueueMonitor } from '../../broker/inbound-queue-monitor';

/**
 * The `inbound_queue` component: consumers and waiting messages of `<tn>.inbound` at the last
 * passive declare. Always up: no consumer is the application's outage, shared by every instance,
 * and taking them all out of rotation for it would only turn held requests into refused ones.
 * The details (and the metrics, and their alert) say it.
 */
@Injectable()
export class InboundQueueHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly monitor: InboundQueueMonitor,
  ) {}

  check(key = 'inbound_queue') {
    const { queue, exists, consumers, messages, checkedAt } = this.monitor.reading;
    return this.indicators.check(key).up({
      queue,
      exists,
      consumers,
      messages,
      listening: consumers === null ? null : consumers > 0,
      checked_seconds_ago: checkedAt === null ? null : Math.round((Date.now() - checkedAt) / 1000),
    });
  }
}
