import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { LifecycleService } from '../../platform/lifecycle/lifecycle.service';

/** Draining for shutdown, or paused by an operator: the instance takes no new requests, so it is out of rotation. */
@Injectable()
export class LifecycleHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
  ) {}

  check(key = 'lifecycle') {
    const session = this.indicators.check(key);
    if (this.lifecycle.isDraining) return session.down({ state: 'draining' });
    return this.lifecycle.isPaused ? session.down({ state: 'paused' }) : session.up({ state: 'serving' });
  }
}
