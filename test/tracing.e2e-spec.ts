import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { connect } from 'amqplib';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config-loader';
import { startTracing, TracingSdk } from '../src/platform/tracing/tracing-sdk';
import { encodeMessage } from '../src/wire/vumi-serializer';
import { buildReply, decodeJsonObject } from '../src/wire/vumi-application';
import { VUMI_EXCHANGE } from '../src/wire/vumi-topology';
import { AMQP_URL, startTestService, TestService } from './support/test-service';

/**
 * Tracing across the broker, against the real broker and HTTP port, with the
 * real SDK set-up (startTracing) exporting to memory: the spans, their
 * parents, and the headers on the wire of the inbound message, the reply and
 * its ack event.
 */
const exporter = new InMemorySpanExporter();
let sdk: TracingSdk;
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;
const parts = (traceparent: unknown) => {
  const match = String(traceparent).match(traceparentPattern);
  if (!match) throw new Error(`not a traceparent: ${String(traceparent)}`);
  return { traceId: match[1], spanId: match[2] };
};
const spansNamed = (pattern: RegExp): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => pattern.test(span.name));
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
async function until<T>(find: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

beforeAll(() => {
  sdk = startTracing(loadConfig({ OTEL_ENABLED: 'true', INSTANCE_ID: 'tracing-test' }), new SimpleSpanProcessor(exporter));
});
afterAll(async () => {
  await sdk.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

describe('tracing on (OTEL_ENABLED=true)', () => {
  let service: TestService;
  afterEach(async () => service?.stop());

  it("fire-and-forget: a SERVER span, child of the caller's traceparent, and its context and the request id in the message's AMQP headers only", async () => {
    service = await startTestService({ OTEL_ENABLED: 'true' });
    const inbound = service.peer.read(service.peer.keys.inbound);
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hi' }), {
      headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'vendor=abc', 'x-request-id': 'req-trace-1' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req-trace-1');
    const message = await (await inbound).next(5000, 'inbound');
    const headers = message.properties.headers!;
    expect(parts(headers.traceparent).traceId).toBe(CALLER_TRACE);
    expect(headers.tracestate).toBe('vendor=abc');
    expect(headers['x-request-id']).toBe('req-trace-1');
    const body = message.content.toString('utf8');
    for (const leaked of ['traceparent', CALLER_TRACE, 'x-request-id']) expect(body).not.toContain(leaked);

    const [server] = await until(() => (spansNamed(/^GET /).length ? spansNamed(/^GET /) : undefined), 'server span');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(CALLER_TRACE);
    expect(parentOf(server)).toBe(CALLER_SPAN);
    expect(parts(headers.traceparent).spanId).toBe(server.spanContext().spanId);
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'http.request.id': 'req-trace-1',
    });
    expect(JSON.stringify(server.attributes)).not.toContain('hi'); // no query, no content
  });

  it('AMQP_REQUEST_ID_HEADER=false: the trace context still goes in the headers, the request id does not', async () => {
    service = await startTestService({ OTEL_ENABLED: 'true', AMQP_REQUEST_ID_HEADER: 'false' });
    const inbound = service.peer.read(service.peer.keys.inbound);
    const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hi' }), {
      headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, 'x-request-id': 'req-trace-off' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req-trace-off'); // the HTTP side is unchanged
    const headers = (await (await inbound).next(5000, 'inbound')).properties.headers!;
    expect(parts(headers.traceparent).traceId).toBe(CALLER_TRACE);
    expect(headers['x-request-id']).toBeUndefined();
  });

  it('traces the API path under every spelling Express serves it (a trailing slash), as the API route', async () => {
    service = await startTestService({ OTEL_ENABLED: 'true' });
    const query = new URLSearchParams({ to_addr: '555', from_addr: '123', content: 'hi' }).toString();
    const response = await fetch(`${service.url}/http_api/?${query}`, { headers: { 'x-request-id': 'req-trace-slash' } });
    expect(response.status).toBe(200);
    await service.peer.nextInbound();
    const server = await until(
      () => spansNamed(/^GET /).find((span) => span.attributes['http.request.id'] === 'req-trace-slash'),
      'server span',
    );
    expect(server.name).toBe('GET /http_api');
    expect(server.attributes).toMatchObject({ 'url.path': '/http_api/', 'http.route': '/http_api', 'http.response.status_code': 200 });
  });

  it('reply mode: one trace covers the request (a POST body), the application, the reply and its ack event', async () => {
    service = await startTestService({ OTEL_ENABLED: 'true', REPLY_EXPECTED: 'true', REQUEST_TIMEOUT: '20' });
    const inbound = await service.peer.read(service.peer.keys.inbound);
    const events = await service.peer.read(service.peer.keys.event);
    const answer = fetch(service.api(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'to_addr=555&from_addr=123&content=ping',
    });
    const message = await inbound.next(5000, 'inbound');
    const requestContext = parts(message.properties.headers!.traceparent);

    // The application: continues the trace from the inbound headers and passes its own context on in the reply.
    const appTracer = trace.getTracer('test-application');
    const parent = propagation.extract(ROOT_CONTEXT, message.properties.headers);
    const appSpan = appTracer.startSpan('application handles inbound', { kind: SpanKind.CONSUMER }, parent);
    const replyHeaders: Record<string, string> = {};
    propagation.inject(trace.setSpan(parent, appSpan), replyHeaders);
    const reply = buildReply(decodeJsonObject(message.content), 'pong');
    const connection = await connect(AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish(VUMI_EXCHANGE, service.peer.keys.outbound, encodeMessage(reply), { persistent: true, headers: replyHeaders });
      await channel.waitForConfirms();
    } finally {
      appSpan.end();
      await connection.close();
    }
    const response = await answer;
    expect([response.status, await response.text()]).toEqual([200, 'pong']);

    const ack = await events.next(5000, 'event');
    expect(decodeJsonObject(ack.content).event_type).toBe('ack');
    const ackContext = parts(ack.properties.headers!.traceparent);

    const server = await until(() => spansNamed(/^POST /)[0], 'server span');
    const process = await until(() => spansNamed(/\.outbound process$/)[0], 'reply span');
    const traceId = server.spanContext().traceId;
    expect(parentOf(server)).toBeUndefined(); // the caller sent no traceparent: the trace starts here
    expect(requestContext).toEqual({ traceId, spanId: server.spanContext().spanId });
    expect(appSpan.spanContext().traceId).toBe(traceId);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.spanContext().traceId).toBe(traceId);
    expect(parentOf(process)).toBe(appSpan.spanContext().spanId);
    expect(ackContext).toEqual({ traceId, spanId: process.spanContext().spanId });
    expect(server.attributes['http.response.status_code']).toBe(200);
  });

  it('a reply without trace headers is handled as before, in no span', async () => {
    service = await startTestService({ OTEL_ENABLED: 'true', REPLY_EXPECTED: 'true', REQUEST_TIMEOUT: '20' });
    const inbound = await service.peer.read(service.peer.keys.inbound);
    const answer = fetch(service.api({ to_addr: '555', from_addr: '123', content: 'x' }));
    await service.peer.reply(decodeJsonObject((await inbound.next(5000, 'inbound')).content), 'plain');
    expect(await (await answer).text()).toBe('plain');
    await until(() => spansNamed(/^GET /)[0], 'server span');
    expect(spansNamed(/process$/)).toEqual([]);
  });
});

describe('tracing off (the default)', () => {
  it('never loads the OpenTelemetry SDK: only @opentelemetry/api comes with the service', () => {
    const script =
      "require('./src/bootstrap'); require('./src/platform/tracing/tracing-sdk');" +
      'const loaded = new Set(Object.keys(require.cache).map((f) => (f.match(/node_modules\\/(@opentelemetry\\/[^/]+)/) || [])[1]).filter(Boolean));' +
      'console.log(JSON.stringify([...loaded].sort()))';
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual(['@opentelemetry/api']);
  });

  it('adds no span and no trace header, even with a provider registered and a caller traceparent; the request id still goes in', async () => {
    const service = await startTestService();
    try {
      const inbound = await service.peer.read(service.peer.keys.inbound);
      const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hi' }), {
        headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, 'x-request-id': 'req-untraced-1' },
      });
      expect(response.status).toBe(200);
      const message = await inbound.next(5000, 'inbound');
      expect(message.properties.headers?.traceparent).toBeUndefined();
      // The request id always names the HTTP request a message came from (framed publishes write it too).
      expect(message.properties.headers).toEqual({ 'x-request-id': 'req-untraced-1' });
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      await service.stop();
    }
  });

  it('AMQP_REQUEST_ID_HEADER=false: a message with no headers at all, in both modes (framed and through amqplib)', async () => {
    for (const fastPaths of ['on', 'off']) {
      const service = await startTestService({ AMQP_REQUEST_ID_HEADER: 'false', FAST_PATHS: fastPaths });
      try {
        const inbound = await service.peer.read(service.peer.keys.inbound);
        const response = await fetch(service.api({ to_addr: '555', from_addr: '123', content: 'hi' }), {
          headers: { 'x-request-id': 'req-no-header-1' },
        });
        expect(response.status).toBe(200);
        expect(response.headers.get('x-request-id')).toBe('req-no-header-1');
        const message = await inbound.next(5000, 'inbound');
        expect(message.properties.headers ?? {}).toEqual({});
        expect(JSON.parse(message.content.toString('utf8'))).toMatchObject({ content: 'hi', to_addr: '555' });
      } finally {
        await service.stop();
      }
    }
  });
});
