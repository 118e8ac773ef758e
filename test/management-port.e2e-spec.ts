import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from './support/http-call';
import { ManifestKinds, objectsOfKind, renderKustomization } from './support/kubernetes-manifests';
import { MetricsReader } from './support/metrics-scrape';
import { startTestService, TestService } from './support/test-service';

const COMPLETE = { to_addr: '555', from_addr: '123', content: 'hello' };
const CALLERS = JSON.stringify([{ username: 'shop', password_hash: '$2b$04$w1E91j2eJxJr/aCR6q0vCum2AdcRO7L1dIRsOV.86s2mEFLJpt6jq' }]);

/** MANAGEMENT_PORT: metrics and docs on their own listener, on the real broker and real ports. */
describe('management port', () => {
  let service: TestService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  it('serves the metrics and the docs there, and nowhere on the API port, which looks as if they did not exist', async () => {
    service = await startTestService({ MANAGEMENT_PORT: '0', CALLERS, WEB_USERNAME: 'ops', WEB_PASSWORD: 'ops pw' });
    const { management } = service;
    if (!management) throw new Error('no management listener');
    expect(management.port).not.toBe(service.port);

    const metrics = await call(`${management.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain('vumi_http_api_http_requests_total');
    expect(metrics.body).toContain('caller="shop"'); // the names are there: that is why they leave the API port
    expect((await call(`${management.url}/docs-json`)).status).toBe(200);
    const page = await call(`${management.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('swagger');

    const unknown = await call(`${service.url}/no-such-path`);
    for (const path of ['/metrics', '/docs', '/docs/', '/docs-json', '/docs-yaml', '/docs/swagger-ui.css']) {
      const hidden = await call(`${service.url}${path}`);
      expect(hidden.status).toBe(404);
      expect(hidden.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
      expect(hidden.body).not.toContain('shop');
      expect(JSON.parse(hidden.body)).toEqual({ ...JSON.parse(unknown.body), message: `Cannot GET ${path}` });
    }
  });

  it('keeps the API and the probes on the API port only', async () => {
    service = await startTestService({ MANAGEMENT_PORT: '0' });
    const management = service.management!;
    expect((await call(service.api(COMPLETE))).status).toBe(200);
    expect((await call(`${service.url}/health/live`)).status).toBe(200);
    expect((await call(`${service.url}/health/ready`)).status).toBe(200);
    expect((await call(`${service.url}/health`)).status).toBe(200);
    for (const path of ['/http_api', '/health', '/health/live', '/']) {
      expect((await call(`${management.url}${path}?${new URLSearchParams(COMPLETE)}`)).status).toBe(404);
    }
    expect(await service.peer.depth(service.peer.keys.inbound)).toBe(1); // nothing published through the management port
    // The one registry: the API port's request shows in the management port's metrics.
    const reader = new MetricsReader(`${management.url}/metrics`);
    expect(await reader.value('vumi_http_api_http_requests_total', { method: 'GET', status: '200' })).toBe(1);
  });

  it('serves everything on the API port when unset, as before', async () => {
    service = await startTestService();
    expect(service.management).toBeUndefined();
    expect((await call(`${service.url}/metrics`)).status).toBe(200);
    expect((await call(`${service.url}/docs-json`)).status).toBe(200);
  });

  it('closes the management listener on shutdown', async () => {
    const s = await startTestService({ MANAGEMENT_PORT: '0' });
    const url = `${s.management!.url}/metrics`;
    expect((await call(url)).status).toBe(200);
    await s.stop();
    await expect(call(url)).rejects.toThrow();
  });

  it('is what the shipped Kubernetes manifests scrape: MANAGEMENT_PORT is the container port the ServiceMonitor reaches', () => {
    const secret = readFileSync(join(__dirname, '..', 'k8s', 'overlays', 'production', 'secret.env.example'), 'utf8');
    const documents = renderKustomization('overlays/production', { 'overlays/production/secret.env': secret });
    const of = <K extends keyof ManifestKinds>(kind: K) => objectsOfKind(documents, kind)[0];
    const settings = of('ConfigMap').data;
    const container = of('Deployment').spec.template.spec.containers[0];
    const management = container.ports.find((p) => p.name === 'management')!;
    expect(String(management.containerPort)).toBe(settings.MANAGEMENT_PORT);
    const monitorPort = of('ServiceMonitor').spec.endpoints[0].port;
    expect(of('Service').spec.ports.find((p) => p.name === monitorPort)!.targetPort).toBe('management');
    // The Ingress routes the API only, to the `http` port; the probes stay there too.
    for (const rule of of('Ingress').spec.rules) for (const path of rule.http.paths) expect(path.backend.service.port.name).toBe('http');
    expect(container.livenessProbe.httpGet.port).toBe('http');
  });
});
