import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { InboundQueueMonitor } from '../../broker/inbound-queue-monitor';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';

/**
 * Is anyone listening on `<tn>.inbound`: its consumers and waiting messages as the last passive
 * declare read them (INBOUND_QUEUE_CHECK_INTERVAL). No series until a first reading: an unknown
 * count must not look like 0 to the "no consumer" alert.
 */
@Injectable()
export class InboundQueueMetrics {
  constructor(metrics: MetricsService, monitor: InboundQueueMonitor) {
    new Gauge({
      name: `${METRICS_PREFIX}inbound_queue_consumers`,
      help: 'Consumers on <transport_name>.inbound at the last passive declare (0 as well when the queue does not exist): 0 means nothing reads the messages.',
      labelNames: ['queue'],
      registers: metrics.registers,
      collect() {
        const { consumers, queue } = monitor.reading;
        if (consumers !== null) this.labels(queue).set(consumers);
      },
    });
    new Gauge({
      name: `${METRICS_PREFIX}inbound_queue_messages`,
      help: 'Messages waiting (ready) in <transport_name>.inbound at the last passive declare.',
      labelNames: ['queue'],
      registers: metrics.registers,
      collect() {
        const { messages, queue } = monitor.reading;
        if (messages !== null) this.labels(queue).set(messages);
      },
    });
  }
}
