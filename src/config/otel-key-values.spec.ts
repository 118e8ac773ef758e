import { loadConfig } from './config-loader';
import { otlpTracesUrl, parseOtelKeyValues } from './otel-key-values';

describe('parseOtelKeyValues', () => {
  it('reads key=value pairs, trimmed and percent-decoded', () => {
    expect(parseOtelKeyValues(' a = 1 ,b=x%20y,, c=d=e')).toEqual({ a: '1', b: 'x y', c: 'd=e' });
    expect(parseOtelKeyValues('')).toEqual({});
  });

  it('refuses an item without a key or an equals sign, and a bad escape', () => {
    for (const text of ['novalue', '=v', 'a=1,b', 'a=%E0%A4%A']) expect(parseOtelKeyValues(text)).toBeUndefined();
  });
});

describe('otlpTracesUrl', () => {
  it('appends /v1/traces to the base endpoint, once, as OpenTelemetry specifies', () => {
    expect(otlpTracesUrl('http://collector:4318', undefined)).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('http://collector:4318/', undefined)).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('http://gw/otlp', undefined)).toBe('http://gw/otlp/v1/traces');
  });

  it('uses the traces endpoint as given, over the base', () => {
    expect(otlpTracesUrl('http://a:4318', 'http://b/custom')).toBe('http://b/custom');
    expect(otlpTracesUrl(undefined, undefined)).toBeUndefined();
  });
});

describe('OTEL_* settings at boot', () => {
  it('refuses a malformed header list, resource list, sampler or ratio with one line each', () => {
    expect(() =>
      loadConfig({
        OTEL_EXPORTER_OTLP_HEADERS: 'novalue',
        OTEL_RESOURCE_ATTRIBUTES: '=x',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '2',
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_HEADERS[\s\S]*OTEL_RESOURCE_ATTRIBUTES[\s\S]*OTEL_TRACES_SAMPLER[\s\S]*OTEL_TRACES_SAMPLER_ARG/);
  });
});
