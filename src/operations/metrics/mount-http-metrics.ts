import { INestApplication } from '@nestjs/common';
import { HttpMetrics } from './http-metrics';

/**
 * Mounts the request counter at the Express level, ahead of every Nest
 * middleware, guard and filter, so that it sees every answer on the API path:
 * 413 from the body middleware and 4xx/5xx from the exception filter too. It
 * picks the API path itself (RoutePath), by the rule every other part uses.
 */
export function mountHttpMetrics(app: INestApplication): void {
  app.use(app.get(HttpMetrics).middleware);
}
