// Owns: OpenTelemetry: the SDK (loaded only with OTEL_ENABLED), a span per request, traceparent in AMQP headers.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/lifecycle, platform/logging.
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otlpTracesUrl, parseOtelKeyValues } from '../../config/otel-key-values';
import { TransportConfig } from '../../config/transport-config';
import { settleWithin } from '../../common/settle-within';

/**
 * How long the spans still buffered at exit get to leave. OTLP's own export time-out is 10 s, and
 * a collector that accepts and never answers would hold the exit that long, past the pod's grace
 * period's arithmetic (docs/deploy.md); what is not out by then is dropped.
 */
export const TRACES_FLUSH_ON_EXIT_MS = 2_000;

export interface TracingSdk {
  /**
   * Flushes the spans still buffered (for at most TRACES_FLUSH_ON_EXIT_MS) and stops exporting.
   * Never rejects: resolves with what went wrong, if anything, for a warning (a failed export is
   * not a failed shutdown).
   */
  shutdown(): Promise<string | undefined>;
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
  return {
    shutdown: async () => {
      let failure: string | undefined;
      const flushed = () => provider.shutdown().catch((error: unknown) => void (failure = (error as Error)?.message ?? String(error)));
      if (!(await settleWithin(TRACES_FLUSH_ON_EXIT_MS, flushed)))
        return `the collector did not answer within ${TRACES_FLUSH_ON_EXIT_MS} ms`;
      return failure;
    },
  };
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
