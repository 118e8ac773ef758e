import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TransportConfig } from '../../config/transport-config';

export interface TracingSdk {
  /** Flushes the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Registers OpenTelemetry's Node tracer provider globally: an
 * AsyncLocalStorage context manager (the request's span follows its async
 * work down to the publish), the W3C trace-context propagator, and spans
 * batched to OTLP over HTTP at OTEL_EXPORTER_OTLP_ENDPOINT. The SDK modules
 * are required here, lazily, so a service with tracing off never loads them
 * (src/tracing's other files use only @opentelemetry/api, a no-op without a
 * provider). Tests pass `processor` (an in-memory exporter's) instead.
 */
export function startTracing(config: TransportConfig, processor?: SpanProcessor): TracingSdk {
  /* eslint-disable @typescript-eslint/no-require-imports -- required lazily, so tracing off never loads the SDK (see above) */
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const exporter = (): SpanExporter => {
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(config.otelExporterOtlpEndpoint ? { url: config.otelExporterOtlpEndpoint } : {});
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': config.otelServiceName,
      'service.instance.id': config.instanceId,
      'messaging.destination.name': config.transportName,
    }),
    spanProcessors: [processor ?? new BatchSpanProcessor(exporter())],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return { shutdown: () => provider.shutdown() };
}
