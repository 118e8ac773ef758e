import { Server } from 'node:http';
import { NextFunction, Request, Response } from 'express';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ApiRouteShortcut } from '../src/request-path/http-server/api-route-shortcut';
import { CapturingLogger } from './support/capturing-logger';
import { MetricsReader } from './support/metrics-scrape';
import { startTestService, TestService } from './support/test-service';
import { stringMatching } from './support/matchers';

/**
 * src/request-path/http-server/: the route shortcut is installed on the real service, runs
 * the chain Express would run on the API path (middlewares mounted the usual
 * ways included, and ones added after it was installed). That it steps aside
 * with a log line is src/request-path/http-server/api-route-shortcut.spec.ts.
 */
describe('API route shortcut (real broker, real port)', () => {
  let service: TestService;
  const logger = new CapturingLogger();
  const fields = { to_addr: '123', from_addr: '456', content: 'hi' };

  beforeAll(async () => {
    service = await startTestService({ METRICS_ENABLED: 'true' }, logger);
  });
  afterAll(() => service?.stop());

  const express = () =>
    (service.app as NestExpressApplication).getHttpAdapter().getInstance() as unknown as {
      router: { stack: unknown[] };
    };

  it('is installed on the service, with no warning', async () => {
    expect(ApiRouteShortcut.isInstalledOn(service.app.getHttpServer() as Server)).toBe(true);
    const response = await fetch(service.api(fields));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message_id: stringMatching(/^[0-9a-f]{32}$/) });
    expect(logger.lines.filter((line) => line.context === 'ApiRouteShortcut')).toEqual([]);
  });

  it('runs the Nest middleware of the API path (RequestBodyMiddleware reads the form body)', async () => {
    // The fields come only from the body: a 200 means the Nest middleware read it on the shortcut's path.
    const response = await fetch(service.api(), {
      method: 'POST',
      body: new URLSearchParams({ to_addr: '1', from_addr: '2', content: 'x' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message_id: stringMatching(/^[0-9a-f]{32}$/) });
    const empty = await fetch(service.api(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(empty.status).toBe(400);
  });

  it('runs the middleware mounted with app.use before it was installed (the request counter)', async () => {
    const metrics = new MetricsReader(`${service.url}${service.config.metricsPath}`);
    const before = await metrics.value('vumi_http_api_http_requests_total', { method: 'GET', status: '200' });
    expect((await fetch(service.api(fields))).status).toBe(200);
    expect(await metrics.waitFor('vumi_http_api_http_requests_total', { method: 'GET', status: '200' }, before + 1)).toBe(before + 1);
  });

  it('runs a middleware added with app.use after it was installed, wherever it lands in the chain', async () => {
    const seen: string[] = [];
    service.app.use(service.config.webPath, (req: Request, res: Response, next: NextFunction) => {
      seen.push(req.originalUrl);
      res.setHeader('x-late-middleware', 'ran');
      next();
    });
    // app.use appends after the API's own handlers, which answer: Express itself would never reach it.
    // Moved to the front of the stack, Express would run it first; so must the shortcut.
    const stack = express().router.stack;
    stack.unshift(stack.pop());
    const response = await fetch(service.api(fields));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-late-middleware')).toBe('ran');
    expect(seen).toEqual([`${service.config.webPath}?${new URLSearchParams(fields).toString()}`]);
    stack.shift(); // as it was, for the next request
    const after = await fetch(service.api(fields));
    expect(after.status).toBe(200);
    expect(after.headers.get('x-late-middleware')).toBeNull();
    expect(seen).toHaveLength(1);
  });

  it('answers other paths through Express unchanged', async () => {
    const response = await fetch(`${service.url}/not-the-api`);
    expect(response.status).toBe(404);
  });
});
