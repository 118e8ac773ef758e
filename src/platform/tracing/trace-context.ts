import {
  Context,
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  TextMapGetter,
  trace,
} from '@opentelemetry/api';

/** The instrumentation scope of every span of the service. */
export const TRACER_NAME = 'vumi-http-api-transport';
/** AMQP header with the request id of the HTTP request a message came from (beside `traceparent`, `tracestate`). */
export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID = createContextKey('vumi-http-api.request_id');

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** A context carrying the request id too, so the publish can put it into the message's headers. */
export function withRequestId(ctx: Context, requestId: string | undefined): Context {
  return requestId === undefined ? ctx : ctx.setValue(REQUEST_ID, requestId);
}

/**
 * The AMQP headers of a publish made in the active context: W3C
 * `traceparent` (+ `tracestate`) and the request id (unless `withRequestId` is
 * false: AMQP_REQUEST_ID_HEADER), or undefined when there
 * is no span (tracing off, or work outside any request or reply): then the
 * publish carries no headers at all. Headers only, never the Vumi JSON body:
 * Vumi workers ignore headers, and the body stays byte-for-byte Vumi's.
 */
export function traceHeaders(withRequestId = true): Record<string, string> | undefined {
  const active = context.active();
  if (trace.getSpan(active) === undefined) return undefined;
  const headers: Record<string, string> = {};
  propagation.inject(active, headers);
  const requestId = withRequestId ? active.getValue(REQUEST_ID) : undefined;
  if (typeof requestId === 'string') headers[REQUEST_ID_HEADER] = requestId;
  return headers;
}

/** AMQP header values may arrive as Buffers (long strings) or other types. */
const amqpHeaders: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (typeof value === 'string') return value;
    if (Buffer.isBuffer(value)) return value.toString('utf8');
    return undefined;
  },
};

/**
 * Runs `handle` (the handling of one outbound message) inside a CONSUMER
 * span whose parent is the trace context the application passed on in the
 * message's headers, so the reply, its ack/nack event and any forward join
 * the request's trace. Without a `traceparent` header it just runs `handle`.
 */
export function withTraceFrom<T>(headers: Record<string, unknown> | undefined, name: string, handle: () => Promise<T>): Promise<T> {
  if (headers === undefined || amqpHeaders.get(headers, 'traceparent') === undefined) return handle();
  const parent = propagation.extract(ROOT_CONTEXT, headers, amqpHeaders);
  if (trace.getSpanContext(parent) === undefined) return handle();
  const requestId = amqpHeaders.get(headers, REQUEST_ID_HEADER);
  const span = tracer().startSpan(
    name,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.type': 'process',
        ...(requestId && { 'http.request.id': requestId }),
      },
    },
    parent,
  );
  return context.with(withRequestId(trace.setSpan(parent, span), requestId as string | undefined), handle).then(
    (value) => endSpan(span, undefined, value),
    (error: unknown) => endSpan(span, error),
  );
}

function endSpan<T>(span: Span, error: unknown, value?: T): T {
  if (error !== undefined) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    span.end();
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the handler's own error, passed on as it is
    throw error;
  }
  span.end();
  return value as T;
}
