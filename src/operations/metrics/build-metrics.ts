import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { buildInfo } from '../../config/build-info';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { FAST_PATH_NAMES, FastPaths } from '../../config/fast-paths';
import { TransportConfig } from '../../config/transport-config';
import { METRICS_PREFIX } from './metrics.constants';
import { MetricsService } from './metrics.service';

/** Which build this is (`build_info`), and which fast paths into libraries' internals are on. */
@Injectable()
export class BuildMetrics {
  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig, fastPaths: FastPaths, metrics: MetricsService) {
    const build = buildInfo(config);
    new Gauge({
      name: `${METRICS_PREFIX}build_info`,
      help: 'Always 1; labels say which build answers: package.json version, git revision, Node.js version.',
      labelNames: ['version', 'revision', 'node'],
      registers: metrics.registers,
    })
      .labels(build.version, build.revision, build.node)
      .set(1);
    new Gauge({
      name: `${METRICS_PREFIX}fast_path`,
      help: "1 for each fast path into a library's private internals that is on, 0 when off (FAST_PATHS, or its self-check declined: see the warn log).",
      labelNames: ['path'],
      registers: metrics.registers,
      // Read at scrape time: the corked writes are decided when a broker connection opens.
      collect() {
        const on = new Set(fastPaths.on);
        for (const path of FAST_PATH_NAMES) this.labels(path).set(on.has(path) ? 1 : 0);
      },
    });
  }
}
