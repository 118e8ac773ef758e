import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { TRACES_FLUSH_ON_EXIT_MS } from '../src/platform/tracing/tracing-sdk';
import { ServiceProcess } from './support/service-process';
import { VumiPeer } from './support/vumi-peer';

/**
 * Spans leave the real service process for a real OTLP/HTTP receiver, with the
 * OTEL_* settings meaning what OpenTelemetry's environment specification says:
 * the base endpoint gets `/v1/traces`, the signal's own endpoint is used as
 * given, the headers, resource attributes, sampler and batch delay honoured.
 * The exported trace id is the one in the published message's traceparent.
 */
interface Export {
  path: string;
  headers: IncomingHttpHeaders;
  body: OtlpTraces;
}
interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpTraces {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: Array<{ spans: Array<{ traceId: string; spanId: string; name: string }> }>;
  }>;
}

class OtlpReceiver {
  readonly exports: Export[] = [];
  private constructor(private readonly server: Server) {}

  /** `answers: false`: a collector that takes the export and never answers (a frozen one). */
  static async start({ answers = true } = {}): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '';
        if (req.method !== 'POST' || !path.endsWith('/v1/traces')) {
          res.writeHead(404).end();
          return;
        }
        receiver.exports.push({ path, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpTraces });
        if (!answers) return;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return receiver;
  }

  get base(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  spans() {
    return this.exports.flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  }

  async until(traceId: string, ms = 15_000): Promise<Export> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.exports.find((e) =>
        e.body.resourceSpans.some((r) => r.scopeSpans.some((s) => s.spans.some((span) => span.traceId === traceId))),
      );
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no span of trace ${traceId} exported within ${ms} ms (${this.exports.length} exports)`);
      await new Promise((done) => setTimeout(done, 50));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections(); // the silent collector's exports still open
    return new Promise((done) => this.server.close(() => done()));
  }
}

const traceIdOf = (traceparent: unknown): string => {
  const match = /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]$/.exec(String(traceparent));
  if (!match) throw new Error(`not a traceparent: ${String(traceparent)}`);
  return match[1];
};

describe('OTLP export from the running service', () => {
  let receiver: OtlpReceiver;
  let service: ServiceProcess | undefined;
  let peer: VumiPeer | undefined;

  beforeEach(async () => (receiver = await OtlpReceiver.start()));
  afterEach(async () => {
    await peer?.destroy();
    await service?.stop();
    await receiver.close();
    peer = service = undefined;
  });

  async function start(env: Record<string, string>): Promise<{ service: ServiceProcess; peer: VumiPeer }> {
    service = await ServiceProcess.start({ OTEL_ENABLED: 'true', OTEL_BSP_SCHEDULE_DELAY: '100', ...env });
    peer = await VumiPeer.connect(service.config.amqpUrls[0], service.transportName);
    await peer.read(peer.keys.inbound);
    return { service, peer };
  }

  async function sendAndReadTraceId(s: ServiceProcess, p: VumiPeer, headers: Record<string, string> = {}): Promise<string> {
    const response = await fetch(s.api({ to_addr: '555', from_addr: '123', content: 'hi' }), { headers });
    expect(response.status).toBe(200);
    const message = await p.nextRaw(p.keys.inbound, 10_000);
    return traceIdOf(message.properties.headers?.traceparent);
  }

  it('OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: spans arrive at /v1/traces with the headers and resource attributes, and their trace id is the published traceparent', async () => {
    const { service, peer } = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.base,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cret%20key,x-tenant=acme',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=e2e,service.name=overridden',
      OTEL_SERVICE_NAME: 'vumi-otlp-e2e',
    });
    const traceId = await sendAndReadTraceId(service, peer);
    const exported = await receiver.until(traceId);
    expect(exported.path).toBe('/v1/traces');
    expect(exported.headers['x-api-key']).toBe('s3cret key');
    expect(exported.headers['x-tenant']).toBe('acme');
    const attributes = Object.fromEntries(exported.body.resourceSpans[0].resource.attributes.map((a) => [a.key, a.value.stringValue]));
    expect(attributes).toMatchObject({
      'service.name': 'vumi-otlp-e2e',
      'deployment.environment': 'e2e',
      'messaging.destination.name': service.transportName,
    });
  });

  it('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given and wins over the base URL', async () => {
    const { service, peer } = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.base}/custom/v1/traces`,
    });
    const traceId = await sendAndReadTraceId(service, peer);
    expect((await receiver.until(traceId)).path).toBe('/custom/v1/traces');
  });

  it("OTEL_TRACES_SAMPLER=parentbased_always_off: the caller's sampled flag keeps a trace, an unsampled root exports nothing", async () => {
    const { service, peer } = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.base, OTEL_TRACES_SAMPLER: 'parentbased_always_off' });
    const sampledTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const unsampledRoot = await sendAndReadTraceId(service, peer);
    const kept = await sendAndReadTraceId(service, peer, { traceparent: `00-${sampledTrace}-00f067aa0ba902b7-01` });
    expect(kept).toBe(sampledTrace);
    await receiver.until(sampledTrace);
    // The batch that carried the sampled span had its chance to carry the other one: it was never recorded.
    expect(receiver.spans().some((span) => span.traceId === unsampledRoot)).toBe(false);
  });
  it('a collector that never answers costs a SIGTERM at most TRACES_FLUSH_ON_EXIT_MS, and the exit stays 0', async () => {
    await receiver.close();
    receiver = await OtlpReceiver.start({ answers: false });
    // A batch delay longer than the test: the spans are still buffered when SIGTERM comes, and only the exit's flush sends them.
    const { service: s } = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.base, OTEL_BSP_SCHEDULE_DELAY: '600000' });
    const response = await fetch(s.api({ to_addr: '555', from_addr: '123', content: 'hi' }));
    expect(response.status).toBe(200);
    const signalled = performance.now();
    s.signal('SIGTERM');
    const status = await s.exited(30_000);
    const seconds = (performance.now() - signalled) / 1000;
    expect(receiver.exports.length).toBeGreaterThan(0); // the flush did reach the collector
    expect(status.code).toBe(0);
    // The OTLP exporter's own time-out is 10 s (it made the exit 1 after 10 s before the bound).
    expect(seconds).toBeLessThan(TRACES_FLUSH_ON_EXIT_MS / 1000 + 3);
    expect(s.output()).toContain(`Spans not exported at exit: the collector did not answer within ${TRACES_FLUSH_ON_EXIT_MS} ms`);
  });
});
