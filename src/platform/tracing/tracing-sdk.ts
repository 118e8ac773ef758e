// Owns: OpenTelemetry: the SDK (loaded only with OTEL_ENABLED), a span per request, traceparent in AMQP headers.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/lifecycle, platform/logging.
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otlpTracesUrl, parseOtelKeyValues } from '../../config/otel-key-values';
import { TransportConfig } from '../../config/transport-config';

export interface TracingSdk {
  /** Flushes the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

type SdkTraceBase = typeof import('@opentelemetry/sdk-trace-base');

/**
 * Registers OpenTelemetry's Node tracer provider globally: an
 * AsyncLocalStorage context manager (the request's span follows its async
 * work down to the publish), the W3C trace-context propagator, and spans
 * batched to OTLP over HTTP at OTEL_EXPORTER_OTLP_ENDPOINT. The SDK modules
 * are required here, lazily, so a service with tracing off never loads them
 * (src/platform/tracing's other files use only @opentelemetry/api, a no-op without a
 * provider). Tests pass `processor` (an in-memory exporter's) instead.
 */
export function startTracing(config: TransportConfig, processor?: SpanProcessor): TracingSdk {
  /* eslint-disable @typescript-eslint/no-require-imports -- lazily, so a service with tracing off never loads the SDK */
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const traceBase = require('@opentelemetry/sdk-trace-base') as SdkTraceBase;
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      ...parseOtelKeyValues(config.otelResourceAttributes ?? ''),
      'service.name': config.otelServiceName,
      'service.instance.id': config.instanceId,
      'messaging.destination.name': config.transportName,
    }),
    sampler: samplerFor(config, traceBase),
    spanProcessors: [
      processor ?? new traceBase.BatchSpanProcessor(otlpExporter(config), { scheduledDelayMillis: config.otelBspScheduleDelay }),
    ],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return { shutdown: () => provider.shutdown() };
}

function otlpExporter(config: TransportConfig): SpanExporter {
  type OtlpHttp = typeof import('@opentelemetry/exporter-trace-otlp-http');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily, as above
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as OtlpHttp;
  return new OTLPTraceExporter({
    url: otlpTracesUrl(config.otelExporterOtlpEndpoint, config.otelExporterOtlpTracesEndpoint) ?? 'http://localhost:4318/v1/traces',
    headers: parseOtelKeyValues(config.otelExporterOtlpHeaders ?? ''),
  });
}

/** OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, as OpenTelemetry's environment specification defines them. */
export function samplerFor(config: Pick<TransportConfig, 'otelTracesSampler' | 'otelTracesSamplerArg'>, sdk: SdkTraceBase): Sampler {
  const ratio = new sdk.TraceIdRatioBasedSampler(config.otelTracesSamplerArg);
  switch (config.otelTracesSampler) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}
