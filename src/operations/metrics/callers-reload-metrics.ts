import { Injectable, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { CallerCredentials } from '../../callers/credentials/caller-credentials';
import { CallersReloader, ReloadOutcome } from '../../callers/credentials/callers-reloader';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';

const OUTCOMES: readonly ReloadOutcome[] = ['success', 'failure'];

/** Reloads of the callers list (SIGHUP, POST /admin/reload, CALLERS_FILE changed) and the callers in use. */
@Injectable()
export class CallersReloadMetrics implements OnModuleInit {
  private readonly reloads: Counter<'outcome'>;

  constructor(
    metrics: MetricsService,
    private readonly reloader: CallersReloader,
    credentials: CallerCredentials,
  ) {
    this.reloads = new Counter({
      name: `${METRICS_PREFIX}callers_reloads_total`,
      help: 'Reloads of the callers list by outcome; a failure keeps the callers in use (the log says why).',
      labelNames: ['outcome'],
      registers: metrics.registers,
    });
    for (const outcome of OUTCOMES) this.reloads.labels(outcome).inc(0);
    new Gauge({
      name: `${METRICS_PREFIX}callers`,
      help: 'Callers of the list in use now (CALLERS_FILE, CALLERS), WEB_USERNAME aside.',
      registers: metrics.registers,
      collect() {
        this.set(credentials.names.length);
      },
    });
  }

  onModuleInit(): void {
    this.reloader.onReload(({ outcome }) => this.reloads.labels(outcome).inc());
  }
}
