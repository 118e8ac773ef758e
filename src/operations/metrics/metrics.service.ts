import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Metric, Registry } from 'prom-client';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { fastPathsFor } from '../../config/fast-paths';
import { TransportConfig } from '../../config/transport-config';
import { chooseLeanMetrics } from './lean-metrics';

let processMetrics: Registry | undefined;

/**
 * Node's process metrics (CPU, memory, event-loop lag, GC, handles), under
 * prom-client's standard names (`process_*`, `nodejs_*`, no service prefix)
 * so that stock Node.js dashboards and alerts find them; the
 * `transport_name` label still tells the service apart. They are collected once per process: collecting them starts an event-loop monitor
 * and a GC observer that cannot be stopped, and several services in one
 * process (the tests) must not stack them up.
 */
function processMetricsRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/**
 * Owns this service's Prometheus registry: the process metrics plus those
 * each *-metrics provider registers here. Every series carries the
 * `transport_name` label, so one dashboard can tell transports apart.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig) {
    for (const metric of processMetricsRegistry().getMetricsAsArray()) {
      this.registry.registerMetric(metric as unknown as Metric);
    }
    this.registry.setDefaultLabels({ transport_name: config.transportName });
    // Before any *-metrics provider makes its counters: lean, or prom-client's own (FAST_PATHS).
    chooseLeanMetrics(this.registry, fastPathsFor(config));
  }

  /** For `registers: [...]` in metric definitions. */
  get registers(): Registry[] {
    return [this.registry];
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, collected now (gauges with `collect` read their sources here). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
