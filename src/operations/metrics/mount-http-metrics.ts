import { INestApplication } from '@nestjs/common';
import { TransportConfig } from '../../config/transport-config';
import { normalisePath } from '../../config/paths';
import { HttpMetrics } from './http-metrics';

/**
 * Mounts the request counter on the API path at the Express level, ahead of
 * every Nest middleware, guard and filter, so that it sees every answer:
 * 413 from the body middleware and 4xx/5xx from the exception filter too.
 */
export function mountHttpMetrics(app: INestApplication, config: TransportConfig): void {
  app.use(normalisePath(config.webPath), app.get(HttpMetrics).middleware);
}
