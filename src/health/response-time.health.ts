import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { TRANSPORT_CONFIG } from '../config/config.constants';
import { TransportConfig } from '../config/transport-config';
import { ResponseStatusService } from '../status/response-status.service';

/** The `response` component: ok and degraded are up (200), down is down (503). */
@Injectable()
export class ResponseTimeHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly status: ResponseStatusService,
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
  ) {}

  check(key = 'response') {
    const session = this.indicators.check(key);
    const last = this.status.last;
    const details = {
      state: last?.status ?? 'ok',
      type: last?.type ?? null,
      response_time: last?.details.response_time ?? null,
      degraded_after: this.config.responseTimeDegraded,
      down_after: this.config.responseTimeDown,
    };
    return last?.status === 'down' ? session.down(details) : session.up(details);
  }
}
