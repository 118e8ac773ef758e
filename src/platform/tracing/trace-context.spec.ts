import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { REQUEST_ID_HEADER, traceHeaders, withRequestId, withTraceFrom } from './trace-context';

describe('trace context in AMQP headers', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('no span active: no headers at all', () => {
    expect(traceHeaders()).toBeUndefined();
  });

  it('in a span: traceparent and the request id', () => {
    const span = provider.getTracer('t').startSpan('s');
    const headers = context.with(withRequestId(trace.setSpan(ROOT_CONTEXT, span), 'req-1'), traceHeaders);
    span.end();
    expect(headers).toEqual({
      traceparent: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
      [REQUEST_ID_HEADER]: 'req-1',
    });
  });

  it('a reply: its Buffer-valued traceparent parents the span; without one, no span', async () => {
    exporter.reset();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const inner = await withTraceFrom({ traceparent: Buffer.from(traceparent), [REQUEST_ID_HEADER]: 'req-2' }, 'q process', () =>
      Promise.resolve(traceHeaders()),
    );
    const [span] = exporter.getFinishedSpans();
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(inner).toEqual({
      traceparent: `00-0af7651916cd43dd8448eb211c80319c-${span.spanContext().spanId}-01`,
      [REQUEST_ID_HEADER]: 'req-2',
    });
    await expect(withTraceFrom({ traceparent: 'garbage' }, 'q process', () => Promise.resolve(traceHeaders()))).resolves.toBeUndefined();
    await expect(withTraceFrom(undefined, 'q process', () => Promise.resolve(7))).resolves.toBe(7);
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('a failing handler: the span records the error, which still propagates', async () => {
    exporter.reset();
    await expect(
      withTraceFrom({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, 'q process', () =>
        Promise.reject(new Error('boom')),
      ),
    ).rejects.toThrow('boom');
    expect(exporter.getFinishedSpans()[0].status).toMatchObject({ code: 2, message: 'boom' });
  });
});
