import { Injectable, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { AUTH_FAILURE_REASONS, AuthEvents, AuthFailureReason, HASH_ALGORITHMS, HashAlgorithm } from '../../callers/auth/auth-events';
import { CallerCredentials } from '../../callers/credentials/caller-credentials';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';

/**
 * Failed authentications by reason and password hashes computed. Labels are
 * bounded sets only: never a user name or an address, which the client
 * chooses (an unbounded label, and names of callers on a scrape endpoint).
 */
@Injectable()
export class AuthMetrics implements OnModuleInit {
  private readonly failures: Counter<'reason'>;
  private readonly hashes: Counter<'algorithm'>;

  constructor(
    metrics: MetricsService,
    private readonly events: AuthEvents,
    credentials: CallerCredentials,
  ) {
    this.failures = new Counter({
      name: `${METRICS_PREFIX}auth_failures_total`,
      help: 'Refused authentications on the API path, by reason (throttled and busy: refused before any hashing).',
      labelNames: ['reason'],
      registers: metrics.registers,
    });
    this.hashes = new Counter({
      name: `${METRICS_PREFIX}password_hashes_total`,
      help: 'Password hashes computed to check a caller (a recently verified password needs none).',
      labelNames: ['algorithm'],
      registers: metrics.registers,
    });
    new Gauge({
      name: `${METRICS_PREFIX}password_checks_in_flight`,
      help: 'Password checks running now (at most AUTH_MAX_VERIFICATIONS).',
      registers: metrics.registers,
      collect() {
        this.set(credentials.verificationsInFlight);
      },
    });
    for (const reason of AUTH_FAILURE_REASONS) this.failures.labels(reason).inc(0);
    for (const algorithm of HASH_ALGORITHMS) this.hashes.labels(algorithm).inc(0);
  }

  onModuleInit(): void {
    this.events.onFailure(({ reason }) => this.failures.labels(reason satisfies AuthFailureReason).inc());
    this.events.onHash((algorithm: HashAlgorithm) => this.hashes.labels(algorithm).inc());
  }
}
