import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { RESPONSE_COMPONENT, ResponseStatusService } from '../status/response-status.service';
import { ComponentStatus } from '../../wire/vumi-message';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';

const STATUSES: readonly ComponentStatus[] = ['ok', 'degraded', 'down'];

/** The Vumi status of each component (what status messages publish), and what this instance is. */
@Injectable()
export class StatusMetrics implements OnModuleInit {
  private readonly status: Gauge<'component' | 'status'>;

  constructor(
    private readonly responseStatus: ResponseStatusService,
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    metrics: MetricsService,
  ) {
    this.status = new Gauge({
      name: `${METRICS_PREFIX}component_status`,
      help: 'Vumi status per component: 1 for the current status (ok, degraded, down), 0 for the others. response: by response times, as health reports it.',
      labelNames: ['component', 'status'],
      registers: metrics.registers,
    });
    const info = new Gauge({
      name: `${METRICS_PREFIX}info`,
      help: 'Always 1; labels say which instance this is and whether it holds requests for replies.',
      labelNames: ['instance_id', 'mode'],
      registers: metrics.registers,
    });
    info.labels(config.instanceId, config.replyExpected ? 'reply' : 'fire_and_forget').set(1);
  }

  onModuleInit(): void {
    // Health reports `ok` until the first classified response; so does this.
    this.show(RESPONSE_COMPONENT, this.responseStatus.last?.status ?? 'ok');
    this.responseStatus.onStatus((status) => this.show(RESPONSE_COMPONENT, status));
  }

  private show(component: string, current: ComponentStatus): void {
    for (const status of STATUSES) this.status.labels(component, status).set(status === current ? 1 : 0);
  }
}
