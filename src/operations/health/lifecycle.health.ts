import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { LifecycleService } from '../../platform/lifecycle/lifecycle.service';

/** Draining for shutdown: the instance takes no new requests, so it is out of rotation. */
@Injectable()
export class LifecycleHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
  ) {}

  check(key = 'lifecycle') {
    const session = this.indicators.check(key);
    return this.lifecycle.isDraining ? session.down({ state: 'draining' }) : session.up({ state: 'serving' });
  }
}
