import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { ResponseStatusService } from '../status/response-status.service';

/**
 * The `response` component over RESPONSE_STATUS_WINDOW. Always up unless
 * HEALTH_FAIL_ON_RESPONSE_DOWN is set and responses are down: a slow
 * application is shared by every instance, and taking them out of rotation
 * for it would leave no traffic that could show it recovered (Vumi's health
 * path is always 200).
 */
@Injectable()
export class ResponseTimeHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly status: ResponseStatusService,
    @Inject(TRANSPORT_CONFIG) private readonly config: TransportConfig,
  ) {}

  check(key = 'response') {
    const session = this.indicators.check(key);
    const snapshot = this.status.snapshot();
    const details = {
      state: snapshot.state,
      type: snapshot.last_type,
      response_time: snapshot.last_response_time,
      degraded_after: this.config.responseTimeDegraded,
      down_after: this.config.responseTimeDown,
      window_seconds: snapshot.window_seconds,
      counts: snapshot.counts,
      fails_health: this.config.healthFailOnResponseDown,
    };
    const fails = this.config.healthFailOnResponseDown && snapshot.state === 'down';
    return fails ? session.down(details) : session.up(details);
  }
}
