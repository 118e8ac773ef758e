import type { Server } from 'node:http';
import { Counter } from 'prom-client';
import { AmqpConnectionService } from '../src/broker/amqp-connection.service';
import { PublishFrames } from '../src/broker/publish-frames';
import { FAST_PATH_NAMES } from '../src/config/fast-paths';
import { LeanCounter } from '../src/operations/metrics/lean-metrics';
import { MetricsService } from '../src/operations/metrics/metrics.service';
import { ApiRouteShortcut } from '../src/request-path/http-server/api-route-shortcut';
import { health } from './support/held-requests';
import { MetricsReader } from './support/metrics-scrape';
import { startTestService, TestService } from './support/test-service';

const REQUESTS = 'vumi_http_api_http_requests_total';

/** The amqplib connection under the publishing manager, as amqp-connection-manager holds it. */
function publishingMuxer(service: TestService): { corked?: boolean } | undefined {
  const model = service.app.get(AmqpConnectionService).publishing.manager.connection as unknown as {
    connection?: { muxer?: { corked?: boolean } };
  };
  return model?.connection?.muxer;
}

/**
 * The internals canary (issue 23): with the exact library versions package.json pins, every fast
 * path into a library's private internals is engaged on a real broker and a real port, and
 * FAST_PATHS=off turns them all off while the API still answers. When an upgrade changes an
 * internal, this fails here instead of the service slowing down with a warn line nobody reads.
 */
describe('fast paths into library internals', () => {
  let service: TestService | undefined;
  let send: jest.SpiedFunction<PublishFrames['send']> | undefined;

  afterEach(async () => {
    send?.mockRestore();
    send = undefined;
    await service?.stop();
    service = undefined;
  });

  it('with the pinned versions, all four are on: shortcut installed, publishes framed, writes corked, metrics lean', async () => {
    send = jest.spyOn(PublishFrames.prototype, 'send');
    service = await startTestService({ FAST_PATHS: 'on' });
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'canary' }));
    expect(response.status).toBe(200);
    expect((await service.peer.nextInbound()).content).toBe('canary');

    expect(ApiRouteShortcut.isInstalledOn(service.app.getHttpServer() as Server)).toBe(true);
    expect(send.mock.results.map((result) => result.value as unknown)).toContain(true);
    expect(publishingMuxer(service)?.corked).toBe(true);
    expect(service.app.get(MetricsService).registry.getSingleMetric(REQUESTS)).toBeInstanceOf(LeanCounter);

    const answer = await health(service);
    expect(answer.body.fast_paths).toEqual([...FAST_PATH_NAMES]);
    const metrics = new MetricsReader(`${service.url}${service.config.metricsPath}`);
    for (const path of FAST_PATH_NAMES) expect(await metrics.value('vumi_http_api_fast_path', { path })).toBe(1);
  });

  it('FAST_PATHS=off: none of them, and the API answers the same through the public APIs', async () => {
    send = jest.spyOn(PublishFrames.prototype, 'send');
    service = await startTestService({ FAST_PATHS: 'off' });
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'plain' }));
    expect(response.status).toBe(200);
    expect((await service.peer.nextInbound()).content).toBe('plain');

    expect(ApiRouteShortcut.isInstalledOn(service.app.getHttpServer() as Server)).toBe(false);
    expect(send).not.toHaveBeenCalled();
    expect(publishingMuxer(service)?.corked).toBeUndefined();
    expect(service.app.get(MetricsService).registry.getSingleMetric(REQUESTS)).toBeInstanceOf(Counter);

    const answer = await health(service);
    expect(answer.body.fast_paths).toEqual([]);
    const metrics = new MetricsReader(`${service.url}${service.config.metricsPath}`);
    expect(await metrics.value(REQUESTS, { method: 'GET', status: '200' })).toBe(1);
    for (const path of FAST_PATH_NAMES) expect(await metrics.value('vumi_http_api_fast_path', { path })).toBe(0);
  });

  it('names the build on /health and in vumi_http_api_build_info', async () => {
    service = await startTestService({ GIT_REVISION: 'canary-rev' });
    const version = (require('../package.json') as { version: string }).version; // eslint-disable-line @typescript-eslint/no-require-imports
    const answer = await health(service);
    expect(answer.body).toMatchObject({ version, revision: 'canary-rev' });
    const metrics = new MetricsReader(`${service.url}${service.config.metricsPath}`);
    expect(await metrics.value('vumi_http_api_build_info', { version, revision: 'canary-rev', node: process.version })).toBe(1);
  });
});
